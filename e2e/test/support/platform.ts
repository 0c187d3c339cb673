import type { ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mintProjectToken } from '@stagehook/platform';
import { createStagehookClient, type StagehookClient } from '@stagehook/sdk';
import {
  createTestDatabase,
  deleteTestNamespace,
  freePort,
  serviceEnv,
  startServiceProcess,
  TestAuth,
  testSecretKeys,
  type TestDatabase,
  type TokenOptions,
  uniqueName,
} from '@stagehook/testing';
import pg from 'pg';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export const SERVICE_NAMES = ['workflow', 'items', 'webhooks', 'delivery'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

interface Running {
  name: ServiceName;
  port: number;
  db: TestDatabase;
  env: Record<string, string>;
  child: ChildProcess | undefined;
  /** Every line the process wrote, across restarts (JSON logs). */
  logs: string[];
}

export interface PlatformOptions {
  /** Extra environment per service (e.g. a short retry schedule for delivery). */
  env?: Partial<Record<ServiceName, Record<string, string>>>;
  /**
   * A NATS of the caller's own (e.g. a throw-away local cluster: all its seeds, comma-separated)
   * instead of the test NATS. Its streams are the caller's to remove: stop() leaves that NATS alone.
   */
  natsUrl?: string;
  /** Node's own flags for every process (e.g. `--cpu-prof --cpu-prof-dir=prof`), before the script. */
  nodeArgs?: string[];
}

/**
 * The four services as real processes from their built `dist/main.js`, each on its own free
 * port with its own fresh database, on a bus namespace of their own. Tests talk to them over
 * HTTP only.
 */
export class Platform {
  readonly namespace = uniqueName('e2e');
  private readonly auth = new TestAuth(mintProjectToken);
  readonly secretKeys = testSecretKeys('e2e');
  private readonly services = new Map<ServiceName, Running>();
  private readonly replicas: ChildProcess[] = [];
  private natsUrl: string | undefined;
  private nodeArgs: string[] = [];

  static async start(opts: PlatformOptions = {}): Promise<Platform> {
    const p = new Platform();
    p.natsUrl = opts.natsUrl;
    p.nodeArgs = opts.nodeArgs ?? [];
    await Promise.all(SERVICE_NAMES.map((name) => p.prepare(name, opts.env?.[name] ?? {})));
    await Promise.all(SERVICE_NAMES.map((name) => p.launch(name)));
    return p;
  }

  /** The process id of the service's (first) process, while it runs. */
  pid(name: ServiceName): number | undefined {
    return this.get(name).child?.pid;
  }

  url(name: ServiceName): string {
    return `http://127.0.0.1:${this.get(name).port}`;
  }

  /** A token the services accept; `now` in the past with a short ttl gives an expired one. */
  token(projectId: string, opts: TokenOptions = {}): string {
    return this.auth.token(projectId, opts);
  }

  /** The typed client (@stagehook/sdk) bound to one project: how a user's code calls the services. */
  sdk(projectId: string): StagehookClient {
    return createStagehookClient({ baseUrl: (service) => this.url(service), token: this.token(projectId) });
  }

  /**
   * A fetch bound to one project: JSON in, `{ status, body }` out. For requests the typed client
   * would not send (the hostile and security suites' malformed and foreign ones).
   */
  client(projectId: string) {
    const token = this.token(projectId);
    return async <T = Record<string, unknown>>(service: ServiceName, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> => {
      const res = await fetch(`${this.url(service)}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : {}) as T };
    };
  }

  /** Dead letters per service and consumer, read from each service's own database. */
  async deadLetters(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const s of this.services.values()) {
      const client = new pg.Client({ connectionString: s.db.url });
      await client.connect();
      try {
        const { rows } = await client
          .query<{ consumer: string; n: number }>(`SELECT consumer, count(*)::int AS n FROM msg_dead_letters GROUP BY consumer`)
          .catch(() => ({ rows: [] }));
        for (const r of rows) out[`${s.name}/${r.consumer}`] = r.n;
      } finally {
        await client.end();
      }
    }
    return out;
  }

  logs(name?: ServiceName): string[] {
    return name ? this.get(name).logs : [...this.services.values()].flatMap((s) => s.logs);
  }

  async kill(name: ServiceName, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const s = this.get(name);
    const child = s.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    await exited;
    s.child = undefined;
  }

  /** Stops and starts one service; `env` changes its environment from then on (e.g. a new allow-list). */
  async restart(name: ServiceName, env: Record<string, string> = {}): Promise<void> {
    await this.kill(name, 'SIGTERM');
    Object.assign(this.get(name).env, env);
    await this.launch(name);
  }

  /** Starts a service that was killed (its port, database and environment unchanged). */
  async start(name: ServiceName): Promise<void> {
    const child = this.get(name).child;
    if (child && child.exitCode === null && child.signalCode === null) return;
    await this.launch(name);
  }

  /**
   * Another process of a service (delivery scales this way): same database, bus and settings,
   * a port of its own. `pause`/`resume` stop and continue it (SIGSTOP/SIGCONT), as a starved or
   * swapped-out node would be; `platform.stop()` ends it with the rest.
   */
  async startReplica(name: ServiceName): Promise<{ port: number; pause: () => void; resume: () => void; kill: () => Promise<void> }> {
    const port = await freePort();
    const child = await this.spawnHealthy(this.get(name), port, `${name} replica`, (c) => this.replicas.push(c));
    const alive = () => child.exitCode === null && child.signalCode === null;
    return {
      port,
      pause: () => void (alive() && child.kill('SIGSTOP')),
      resume: () => void (alive() && child.kill('SIGCONT')),
      kill: () => terminate(child),
    };
  }

  async stop(): Promise<void> {
    await Promise.all(this.replicas.map(terminate));
    await Promise.all(SERVICE_NAMES.map((n) => this.kill(n, 'SIGTERM')));
    await Promise.all([...this.services.values()].map((s) => s.db.drop()));
    if (!this.natsUrl) await deleteTestNamespace(this.namespace);
  }

  private get(name: ServiceName): Running {
    const s = this.services.get(name);
    if (!s) throw new Error(`${name} is not part of this platform`);
    return s;
  }

  private async prepare(name: ServiceName, extra: Record<string, string>): Promise<void> {
    const db = await createTestDatabase(`e2e_${name}`);
    const env: Record<string, string> = {
      ...serviceEnv({
        service: name,
        databaseUrl: db.url,
        namespace: this.namespace,
        authSecret: this.auth.secret,
        secretKeys: this.secretKeys,
        port: await freePort(),
        ...(this.natsUrl ? { natsUrl: this.natsUrl } : {}),
        logLevel: 'info',
      }),
      ...extra,
    };
    this.services.set(name, { name, port: Number(env.PORT), db, env, child: undefined, logs: [] });
  }

  private async launch(name: ServiceName): Promise<void> {
    const s = this.get(name);
    await this.spawnHealthy(s, s.port, name, (c) => (s.child = c));
  }

  /**
   * A process of the service on `port` (its logs kept with the service's), once /health answers.
   * `track` learns of it at once, so a process that never gets healthy is still stopped.
   */
  private spawnHealthy(s: Running, port: number, label: string, track: (child: ChildProcess) => void): Promise<ChildProcess> {
    return startServiceProcess({
      script: join(root, 'apps', s.name, 'dist', 'main.js'),
      nodeArgs: this.nodeArgs,
      cwd: root,
      env: { ...s.env, PORT: String(port) },
      healthUrl: `http://127.0.0.1:${port}/health`,
      label,
      logs: s.logs,
      onSpawn: track,
    });
  }
}

/** SIGTERM (after SIGCONT, in case it is paused), then waits for the exit. */
async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGCONT');
  child.kill('SIGTERM');
  await exited;
}
