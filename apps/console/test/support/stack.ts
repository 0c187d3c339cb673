import type { ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mintProjectToken } from '@stagehook/platform';
import {
  createTestDatabase,
  deleteTestNamespace,
  freePort,
  serviceEnv,
  startServiceProcess,
  TestAuth,
  testEnv,
  testSecretKeys,
  type TestDatabase,
  uniqueName,
} from '@stagehook/testing';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

export const SERVICES = ['workflow', 'items', 'webhooks', 'delivery'] as const;
type Service = (typeof SERVICES)[number];
type Name = Service | 'console';

interface Proc {
  name: Name;
  port: number;
  env: Record<string, string>;
  child?: ChildProcess;
  logs: string[];
  db?: TestDatabase;
}

/**
 * The four services and the console as real processes from their built `dist`, each on a free
 * port, the services with fresh databases, all on a bus namespace of their own — the e2e
 * harness's approach (e2e/test/support/platform.ts) plus the console in front.
 */
export class Stack {
  readonly namespace = uniqueName('console');
  private readonly auth = new TestAuth(mintProjectToken);
  private readonly secretKeys = testSecretKeys('console');
  private readonly procs = new Map<Name, Proc>();

  /** `deadLetterOperators`: projects whose tokens may use the services' dead-letter API. */
  static async start(opts: { deadLetterOperators?: string[] } = {}): Promise<Stack> {
    const s = new Stack();
    try {
      await Promise.all(SERVICES.map((n) => s.prepare(n, opts.deadLetterOperators ?? [])));
      await Promise.all(SERVICES.map((n) => s.launch(n)));
      const env: Record<string, string> = {
        NODE_ENV: 'test',
        HOST: '127.0.0.1',
        PORT: String(await freePort()),
        NATS_URL: testEnv.natsUrl,
        BUS_NAMESPACE: s.namespace,
        AUTH_TOKEN_SECRETS: s.auth.secret,
        LOG_LEVEL: 'info',
        ...Object.fromEntries(SERVICES.map((n) => [`${n.toUpperCase()}_URL`, s.serviceUrl(n)])),
      };
      s.procs.set('console', { name: 'console', port: Number(env.PORT), env, logs: [] });
      await s.launch('console');
      return s;
    } catch (err) {
      await s.stop();
      throw err;
    }
  }

  serviceUrl(name: Service): string {
    return `http://127.0.0.1:${this.get(name).port}`;
  }

  get consoleUrl(): string {
    return `http://127.0.0.1:${this.get('console').port}`;
  }

  token(projectId: string): string {
    return this.auth.token(projectId);
  }

  logs(name: Name): string[] {
    return this.procs.get(name)?.logs ?? [];
  }

  /**
   * What each process was doing, for a failed test: whether it is still running, its last warnings
   * and errors, and its last lines (the logs are kept in memory only, and lost when the run ends).
   */
  diagnostics(lines = 12): string {
    return [...this.procs.values()]
      .map((p) => {
        const state = !p.child
          ? 'not started'
          : p.child.exitCode !== null || p.child.signalCode !== null
            ? `exited (${p.child.signalCode ?? p.child.exitCode})`
            : `running, pid ${p.child.pid}`;
        const notable = p.logs.filter((l) => /"level":"(warn|error|fatal)"/.test(l)).slice(-lines);
        return [`── ${p.name}: ${state}, ${p.logs.length} log lines; last warnings and errors, then last lines`, ...notable, '…', ...p.logs.slice(-lines)].join('\n');
      })
      .join('\n');
  }

  async stop(): Promise<void> {
    await Promise.all(
      [...this.procs.values()].map(async (p) => {
        const child = p.child;
        if (!child || child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }),
    );
    await Promise.all([...this.procs.values()].flatMap((p) => (p.db ? [p.db.drop().catch(() => undefined)] : [])));
    await deleteTestNamespace(this.namespace);
  }

  private get(name: Name): Proc {
    const p = this.procs.get(name);
    if (!p) throw new Error(`${name} is not running`);
    return p;
  }

  private async prepare(name: Service, deadLetterOperators: string[]): Promise<void> {
    const db = await createTestDatabase(`console_${name}`);
    const env: Record<string, string> = {
      ...serviceEnv({
        service: name,
        databaseUrl: db.url,
        namespace: this.namespace,
        authSecret: this.auth.secret,
        secretKeys: this.secretKeys,
        port: await freePort(),
        logLevel: 'info',
      }),
      DEAD_LETTER_OPERATORS: deadLetterOperators.join(','),
    };
    this.procs.set(name, { name, port: Number(env.PORT), env, logs: [], db });
  }

  private async launch(name: Name): Promise<void> {
    const p = this.get(name);
    const script = name === 'console' ? join(root, 'apps', 'console', 'dist', 'server', 'main.js') : join(root, 'apps', name, 'dist', 'main.js');
    await startServiceProcess({
      script,
      cwd: root,
      env: p.env,
      healthUrl: `http://127.0.0.1:${p.port}/health`,
      label: name,
      logs: p.logs,
      onSpawn: (child) => (p.child = child),
      timeoutMs: 90_000,
      intervalMs: 200,
    });
  }
}
