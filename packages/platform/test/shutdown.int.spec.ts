import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { SWC_REGISTER, createTestDatabase, testEnv, type TestDatabase, until } from '@stagehook/testing';

const FIXTURE = fileURLToPath(new URL('./support/shutdown-fixture.ts', import.meta.url));
const SHUTDOWN_TIMEOUT_MS = 3000;

interface ServiceProcess {
  child: ChildProcess;
  lines: Array<Record<string, unknown>>;
  port: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

describe('a service process on SIGTERM', () => {
  let db: TestDatabase;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('platform_signals');
  });

  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });

  afterAll(async () => {
    await db?.drop();
  });

  async function start(args: string[] = []): Promise<ServiceProcess> {
    const child = spawn(process.execPath, ['--import', SWC_REGISTER, FIXTURE, ...args], {
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'test',
        SERVICE_NAME: 'platform-signals',
        HOST: '127.0.0.1',
        PORT: '0',
        DATABASE_URL: db.url,
        NATS_URL: testEnv.natsUrl,
        AUTH_TOKEN_SECRETS: 'signal-test-secret-0123456789abcdefghij',
        LOG_LEVEL: 'info',
        SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    const lines: Array<Record<string, unknown>> = [];
    let stderr = '';
    let buffer = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      const parts = buffer.split('\n');
      buffer = parts.pop()!;
      for (const p of parts) if (p.trim()) lines.push(JSON.parse(p) as Record<string, unknown>);
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
    );
    const listening = await until(
      () => {
        if (child.exitCode !== null) throw new Error(`fixture exited early: ${stderr}`);
        return lines.find((l) => l.msg === 'service listening');
      },
      { timeoutMs: 30_000, message: 'the service to listen' },
    );
    return { child, lines, port: listening.port as number, exited };
  }

  it('finishes the in-flight request, drains NATS and exits 0', async () => {
    const svc = await start();
    const inFlight = fetch(`http://127.0.0.1:${svc.port}/samples/slow?ms=700`).then(async (r) => ({ status: r.status, body: await r.json() }));
    // The signal must arrive while the slow request is being served: the scrape sees it (and
    // itself) in flight.
    await until(async () => (await fetch(`http://127.0.0.1:${svc.port}/metrics`).then((r) => r.text())).includes('http_requests_in_flight{service="platform-signals"} 2'));

    const signalledAt = Date.now();
    svc.child.kill('SIGTERM');

    await expect(inFlight).resolves.toEqual({ status: 200, body: { ok: true, ms: 700 } });
    const exit = await svc.exited;
    expect(exit.code).toBe(0);
    expect(exit.at - signalledAt).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
    const messages = svc.lines.map((l) => l.msg);
    expect(messages).toEqual(expect.arrayContaining(['shutdown requested', 'waiting for in-flight requests', 'NATS connection drained']));
    expect(messages).not.toContain('graceful shutdown did not finish in time; exiting');
  });

  it('exits non-zero by SHUTDOWN_TIMEOUT_MS when a shutdown hook hangs', async () => {
    const svc = await start(['--hang']);
    const signalledAt = Date.now();
    svc.child.kill('SIGTERM');
    const exit = await svc.exited;
    expect(exit.code).toBe(1);
    expect(exit.at - signalledAt).toBeGreaterThanOrEqual(SHUTDOWN_TIMEOUT_MS - 100);
    expect(exit.at - signalledAt).toBeLessThan(SHUTDOWN_TIMEOUT_MS + 2000);
    expect(svc.lines.map((l) => l.msg)).toContain('graceful shutdown did not finish in time; exiting');
  });
});
