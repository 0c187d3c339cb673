import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from '@jest/globals';
import { deleteTestNamespace, testEnv, uniqueName, until } from '@stagehook/testing';
import pg from 'pg';
import { Supervisor } from '../../scripts/lib/supervisor.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SERVICES = ['workflow', 'items', 'webhooks', 'delivery'] as const;
const BASE_PORTS = { workflow: 3010, items: 3020, webhooks: 3030, delivery: 3040, receiver: 4000 };

const portFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });

/**
 * An offset that puts every port `npm start` uses on a free one, away from a developer's own run,
 * and below Linux's ephemeral range (32768 and up): a port there, free when checked, can be taken
 * as the source port of any other test's outgoing connection before the service binds it, and
 * `npm start` then stops because a service cannot start.
 */
async function freeOffset(): Promise<number> {
  for (;;) {
    const offset = 20_000 + Math.floor(Math.random() * 8_000);
    const free = await Promise.all(Object.values(BASE_PORTS).map((p) => portFree(p + offset)));
    if (free.every(Boolean)) return offset;
  }
}

const healthy = async (url: string) => {
  try {
    return (await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) })).ok;
  } catch {
    return false;
  }
};

describe('npm start supervises its processes', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('restarts a killed service while the others keep serving, and counts the restart', async () => {
    const offset = await freeOffset();
    const dataDir = mkdtempSync(join(tmpdir(), 'stagehook-start-'));
    const dbPrefix = uniqueName('sv').toLowerCase();
    const namespace = uniqueName('sv');
    const url = (name: keyof typeof BASE_PORTS) => `http://127.0.0.1:${BASE_PORTS[name] + offset}`;

    let output = '';
    const start: ChildProcess = spawn(process.execPath, ['scripts/start.mjs', '--no-demo', '--no-build'], {
      cwd: root,
      env: {
        ...process.env,
        NODE_OPTIONS: '',
        STAGEHOOK_DATA_DIR: dataDir,
        STAGEHOOK_PORT_OFFSET: String(offset),
        STAGEHOOK_DB_PREFIX: dbPrefix,
        BUS_NAMESPACE: namespace,
        PG_ADMIN_URL: testEnv.pgAdminUrl,
        NATS_URL: testEnv.natsUrl,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => start.once('exit', (code) => resolve(code)));
    for (const stream of [start.stdout, start.stderr]) stream?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    cleanups.push(async () => {
      if (start.exitCode === null) {
        start.kill('SIGKILL');
        await exited;
      }
      const admin = new pg.Client({ connectionString: testEnv.pgAdminUrl });
      await admin.connect();
      for (const s of SERVICES) await admin.query(`DROP DATABASE IF EXISTS ${dbPrefix}_${s} WITH (FORCE)`);
      await admin.end();
      await deleteTestNamespace(namespace);
      rmSync(dataDir, { recursive: true, force: true });
    });

    await until(() => output.includes('running — Ctrl-C') || start.exitCode !== null, { timeoutMs: 120_000, intervalMs: 100, message: `npm start up:\n${output}` });
    expect(start.exitCode).toBeNull();
    const pids = () => (JSON.parse(readFileSync(join(dataDir, 'processes.json'), 'utf8')) as { processes: Record<string, number> }).processes;
    const itemsPid = pids().items;
    expect(itemsPid).toBeGreaterThan(0);

    // The other three answer their health checks all the while items is down and restarting.
    const others = SERVICES.filter((s) => s !== 'items');
    const misses: string[] = [];
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const results = await Promise.all(others.map(async (s) => [s, await healthy(url(s))] as const));
        for (const [s, ok] of results) if (!ok) misses.push(s);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    process.kill(itemsPid, 'SIGKILL');
    await until(async () => pids().items !== itemsPid && (await healthy(url('items'))), { timeoutMs: 60_000, intervalMs: 100, message: `items back:\n${output}` });
    await until(() => output.includes('✔ items is back'), { timeoutMs: 10_000, message: `restart shown:\n${output}` });
    watching = false;
    await watcher;

    expect(output).toMatch(/↻ items exited \(SIGKILL\); restart 1 in [\d.]+ s — see .*items\.log/);
    expect(misses).toEqual([]);
    expect(start.exitCode).toBeNull();

    start.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(output).toMatch(/restarts: items 1;/);
  });

  it('stops with the reason and the log path when a process cannot start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stagehook-supervisor-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const script = join(dir, 'broken.mjs');
    writeFileSync(script, "process.stderr.write('config invalid: DATABASE_URL must be a URL\\n'); process.exit(3);\n");
    const printed: string[] = [];
    const fatal: string[] = [];
    const supervisor = new Supervisor({
      cwd: dir,
      logDir: join(dir, 'logs'),
      maxStartFailures: 3,
      initialBackoffMs: 20,
      print: (line) => printed.push(line),
      onFatal: (reason) => fatal.push(reason),
    });
    await expect(supervisor.start({ name: 'broken', script, env: {}, healthUrl: 'http://127.0.0.1:9/health' })).rejects.toThrow(
      /broken failed to start 3 times in a row \(last: exit code 3\); see logs\/broken\.log/,
    );
    expect(fatal).toHaveLength(1);
    expect(fatal[0]).toContain('config invalid: DATABASE_URL must be a URL');
    expect(printed.filter((l) => l.startsWith('↻ broken exited'))).toHaveLength(2);
    expect(supervisor.restarts()).toEqual({ broken: 2 });
    await supervisor.stop();
  });
});
