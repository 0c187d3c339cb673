import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { BusNamespace } from '@stagehook/contracts';
import { testEnv, uniqueName, until } from '@stagehook/testing';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Registry } from 'prom-client';
import { ConsumerRunner, DeadLetterRepository, ensureStreams } from '../src/index.js';
import { gate, memoryLogger, metric, publish, recordEffect, statusChanged, TestEnv, type StatusChanged } from './support.js';

let env: TestEnv;

beforeAll(async () => {
  env = await TestEnv.create('msg_outage');
});

afterAll(async () => {
  await env?.close();
});

async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: testEnv.pgAdminUrl });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

describe('ConsumerRunner through a database outage', () => {
  it('holds messages while the database refuses connections and handles each once it is back', async () => {
    const ns = await env.bus();
    const registry = new Registry();
    const deliveries = new Map<string, number[]>();
    const runner = env.runner(ns, {
      durable: 'db-down',
      metrics: registry,
      handlers: {
        'item.status.changed': async (e, ctx) => {
          deliveries.set(e.id, [...(deliveries.get(e.id) ?? []), ctx.deliveryCount]);
          await recordEffect(ctx.manager, 'db-down', e);
        },
      },
    });
    await runner.start();
    const events = [1, 2, 3, 4].map((v) => statusChanged('item-db', v));
    await publish(env.js, ns, events[0]);
    await until(async () => (await env.effects('db-down')).length === 1);

    const db = env.db.name;
    try {
      await admin(`ALTER DATABASE "${db}" ALLOW_CONNECTIONS false`);
      await admin(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${db}' AND pid <> pg_backend_pid()`);
      for (const e of events.slice(1)) await publish(env.js, ns, e);
      await until(async () => (await metric(registry, 'stagehook_messaging_infra_errors_total', { consumer: 'db-down' })) >= 2, {
        message: 'the runner hit the outage',
      });
    } finally {
      await admin(`ALTER DATABASE "${db}" ALLOW_CONNECTIONS true`);
    }
    await until(async () => (await env.effects('db-down')).length === 4, { timeoutMs: 15_000 });
    expect((await env.effects('db-down')).map((f) => f.version)).toEqual([1, 2, 3, 4]);
    // The outage spent no deliveries and dead-lettered nothing.
    for (const e of events) expect(deliveries.get(e.id)?.every((n) => n === 1)).toBe(true);
    expect(await metric(registry, 'stagehook_messages_retried_total', { consumer: 'db-down' })).toBe(0);
    expect(await new DeadLetterRepository(env.ds).count('db-down')).toBe(0);
    await runner.stop();
  });
});

/** A NATS server of our own, so it can be killed without disturbing the shared one. */
class PrivateNats {
  #proc?: ChildProcess;
  readonly storeDir = mkdtempSync(join(tmpdir(), 'stagehook-nats-'));
  constructor(readonly port: number) {}

  static async create(): Promise<PrivateNats> {
    const port = await new Promise<number>((resolve, reject) => {
      const s = createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => {
        const addr = s.address();
        s.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
      });
    });
    const n = new PrivateNats(port);
    await n.start();
    return n;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.#proc = spawn(process.env.NATS_SERVER_BIN ?? 'nats-server', ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.storeDir], {
      stdio: 'ignore',
    });
    await until(
      async () => {
        const nc = await connect({ servers: this.url, reconnect: false, timeout: 500 });
        await nc.close();
        return true;
      },
      { message: 'private nats-server accepts connections' },
    );
  }

  /** SIGKILL: the server gets no chance to flush or say goodbye. */
  async kill(): Promise<void> {
    const p = this.#proc;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await exited;
  }

  async destroy(): Promise<void> {
    await this.kill();
    rmSync(this.storeDir, { recursive: true, force: true });
  }
}

describe('ConsumerRunner through a NATS restart', () => {
  it('keeps consuming after the server is killed and restarted, and each event takes effect once', async () => {
    const server = await PrivateNats.create();
    const nc = await connect({ servers: server.url, maxReconnectAttempts: -1, reconnectTimeWait: 100, name: 'outage' });
    try {
      const jsm = await jetstreamManager(nc);
      const js = jetstream(nc);
      const ns = new BusNamespace(uniqueName('nats'));
      await ensureStreams(jsm, ns, ['ITEMS', 'DEADLETTER']);
      const inFlight = gate();
      const release = gate();
      const runner = new ConsumerRunner({
        dataSource: env.ds,
        nats: nc,
        namespace: ns,
        stream: 'ITEMS',
        durable: 'nats-down',
        ackWaitMs: 2_000,
        pullExpiresMs: 1_000,
        retryBackoff: () => 50,
        logger: memoryLogger(),
        handlers: {
          'item.status.changed': async (e, ctx) => {
            await recordEffect(ctx.manager, 'nats-down', e);
            if (e.data.itemVersion === 2) {
              inFlight.open();
              await release.wait;
            }
          },
        },
      });
      await runner.start();
      const events: StatusChanged[] = [1, 2, 3, 4, 5].map((v) => statusChanged(`item-nats-${v}`, v));
      await publish(js, ns, events[0]);
      await until(async () => (await env.effects('nats-down')).length === 1);

      // Kill the server while a handler is in flight; it commits while NATS is away.
      await publish(js, ns, events[1]);
      await inFlight.wait;
      await server.kill();
      release.open();
      await server.start();

      for (const e of events.slice(2)) {
        await until(async () => (await publish(js, ns, e)).seq > 0, { message: 'publish after the restart' });
      }
      await until(async () => (await env.effects('nats-down')).length >= events.length, { timeoutMs: 20_000, message: 'all handled after the restart' });
      await until(async () => (await runner.lag()).ackPending === 0, { timeoutMs: 10_000 });
      const effects = await env.effects('nats-down');
      expect(effects.map((f) => f.version).sort()).toEqual([1, 2, 3, 4, 5]);
      await runner.stop();
      expect(runner.state).toBe('stopped');
    } finally {
      await nc.close();
      await server.destroy();
    }
  });
});
