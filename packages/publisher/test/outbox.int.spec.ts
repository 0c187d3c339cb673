import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { jetstream, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { BusNamespace, CloudEventEnvelope, silentLogger } from '@stagehook/contracts';
import { connectTestNats, createTestDatabase, deleteNamespace, SWC_REGISTER, testEnv, uniqueName, until, type TestDatabase } from '@stagehook/testing';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import pg from 'pg';
import { migrateOutbox, OutboxRelay, Publisher } from '../src/index.js';

const CHILD = fileURLToPath(new URL('./support/outbox-child.ts', import.meta.url));

type Events = { 'model.training.completed': { version: 1; data: { runId: string } } };

describe('publisher outbox (PostgreSQL, NATS, a killed process)', () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const ns = new BusNamespace(uniqueName('publisher'));
  const publisher = new Publisher<Events>({ projectId: 'proj-p', versions: { 'model.training.completed': 1 } });
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('publisher_outbox');
    pool = new pg.Pool({ connectionString: db.url, max: 4 });
    await migrateOutbox(pool);
    ({ nc, jsm } = await connectTestNats('publisher-int'));
    // The registry's part: PUBLISHED exists before relays publish to it.
    await jsm.streams.add({ name: ns.streamName('PUBLISHED'), subjects: ns.streamSubjects('PUBLISHED') });
  });

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await pool?.end();
    await deleteNamespace(jsm, ns.prefix);
    await nc?.drain();
    await db?.drop();
  });

  /** Every message on the PUBLISHED stream: subject and CloudEvent. */
  async function onBus(): Promise<Array<{ subject: string; event: Record<string, unknown> }>> {
    const name = ns.streamName('PUBLISHED');
    const count = await jsm.streams
      .info(name)
      .then((i) => i.state.messages)
      .catch(() => 0);
    const out: Array<{ subject: string; event: Record<string, unknown> }> = [];
    if (count === 0) return out;
    const consumer = await jetstream(nc).consumers.get(name);
    for (let i = 0; i < count; i++) {
      const m = await consumer.next({ expires: 2000 });
      if (!m) break;
      out.push({ subject: m.subject, event: JSON.parse(m.string()) as Record<string, unknown> });
    }
    return out;
  }

  async function unpublished(id: string): Promise<boolean> {
    const r = await pool.query<{ published_at: Date | null }>(`SELECT published_at FROM stagehook_outbox WHERE id = $1`, [id]);
    return r.rows[0]?.published_at === null;
  }

  function startChild(mode: 'commit' | 'publish'): { child: ChildProcess; lines: string[]; waitFor(prefix: string): Promise<string> } {
    const child = spawn(process.execPath, ['--import', SWC_REGISTER, CHILD, mode, db.url, testEnv.natsUrl, ns.prefix], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    const lines: string[] = [];
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => lines.push(...b.toString().split('\n').filter(Boolean)));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    return {
      child,
      lines,
      waitFor: (prefix) =>
        until(() => lines.find((l) => l.startsWith(prefix))?.slice(prefix.length + 1), { timeoutMs: 30_000, message: `child said '${prefix}' (stderr: ${stderr.slice(-500)})` }),
    };
  }

  async function kill(child: ChildProcess): Promise<void> {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  it('publishes only what committed, as a CloudEvent on published.<type> with the row id', async () => {
    const client = await pool.connect();
    await client.query('BEGIN');
    await publisher.enqueue(client, 'model.training.completed', { runId: 'rolled-back' });
    await client.query('ROLLBACK');
    await client.query('BEGIN');
    const id = await publisher.enqueue(client, 'model.training.completed', { runId: 'committed' }, { subject: 'run-1' });
    await client.query('COMMIT');
    client.release();

    const relay = new OutboxRelay({ pool, nats: nc, source: 'trainer', namespace: ns, pollMs: 50 });
    relay.start();
    try {
      await until(async () => !(await unpublished(id)), { message: 'the committed row marked published' });
    } finally {
      await relay.stop();
    }
    const bus = await onBus();
    expect(bus.map((m) => m.event.id)).toEqual([id]);
    expect(bus[0].subject).toBe(ns.subject('published.model.training.completed'));
    expect(validateSync(plainToInstance(CloudEventEnvelope, bus[0].event))).toEqual([]);
    expect(bus[0].event).toMatchObject({
      type: 'model.training.completed',
      source: 'trainer',
      projectid: 'proj-p',
      dataschemaversion: 1,
      subject: 'run-1',
      data: { runId: 'committed' },
    });
  });

  it('loses nothing when the process is SIGKILLed between its commit and the publish', async () => {
    const before = (await onBus()).length;
    const c = startChild('commit');
    const id = await c.waitFor('committed');
    await kill(c.child);
    expect(await unpublished(id)).toBe(true);
    expect((await onBus()).length).toBe(before);

    // The service comes back: its relay publishes what the dead process committed.
    const relay = new OutboxRelay({ pool, nats: nc, source: 'trainer', namespace: ns, pollMs: 50 });
    relay.start();
    try {
      await until(async () => !(await unpublished(id)), { message: 'the row published after the restart' });
    } finally {
      await relay.stop();
    }
    const bus = await onBus();
    expect(bus.filter((m) => m.event.id === id)).toHaveLength(1);
    expect(bus.length).toBe(before + 1);
  });

  it('sends nothing twice with a new id when killed after the publish and before the row is marked', async () => {
    const before = (await onBus()).length;
    const c = startChild('publish');
    const id = await c.waitFor('committed');
    expect(await c.waitFor('published')).toBe(id);
    await kill(c.child);
    // On the bus, not marked: the restart publishes it again — with the same id.
    expect(await unpublished(id)).toBe(true);
    expect((await onBus()).filter((m) => m.event.id === id)).toHaveLength(1);

    const seen: string[] = [];
    const relay = new OutboxRelay({ pool, nats: nc, source: 'trainer', namespace: ns, pollMs: 50, afterPublish: async (ids) => void seen.push(...ids) });
    relay.start();
    try {
      await until(async () => !(await unpublished(id)), { message: 'the row marked after the restart' });
    } finally {
      await relay.stop();
    }
    expect(seen).toEqual([id]);
    // JetStream dropped the repeat (same Nats-Msg-Id inside its duplicate window); beyond it, the
    // registry's intake accepts an event id once (apps/webhooks publish.int.spec.ts).
    const bus = await onBus();
    expect(bus.filter((m) => m.event.id === id)).toHaveLength(1);
    expect(bus.length).toBe(before + 1);
    expect(new Set(bus.map((m) => m.event.id)).size).toBe(bus.length);
  });

  it('lets one relay lead per database: of two running, one publishes each row', async () => {
    const seenA: string[] = [];
    const seenB: string[] = [];
    const a = new OutboxRelay({ pool, nats: nc, source: 'trainer', namespace: ns, pollMs: 50, afterPublish: async (ids) => void seenA.push(...ids) });
    const b = new OutboxRelay({ pool, nats: nc, source: 'trainer', namespace: ns, pollMs: 50, afterPublish: async (ids) => void seenB.push(...ids) });
    a.start();
    b.start();
    const ids: string[] = [];
    try {
      for (let i = 0; i < 20; i++) {
        const client = await pool.connect();
        await client.query('BEGIN');
        ids.push(await publisher.enqueue(client, 'model.training.completed', { runId: `leader-${i}` }));
        await client.query('COMMIT');
        client.release();
      }
      await until(async () => (await Promise.all(ids.map(unpublished))).every((u) => !u), { message: 'all published' });
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
    expect([...seenA, ...seenB].sort()).toEqual([...ids].sort());
    expect(seenA.length === 0 || seenB.length === 0).toBe(true);
    const bus = await onBus();
    expect(ids.every((id) => bus.filter((m) => m.event.id === id).length === 1)).toBe(true);
  });

  it('never makes PUBLISHED itself: events wait in the outbox until the registry has made it', async () => {
    // A relay that made the stream would guess its replicas and size: one replica on a
    // three-node cluster, scaled up later by the registry, is what NATS 2.9 fails to catch up.
    const early = new BusNamespace(uniqueName('publisher'));
    const warnings: string[] = [];
    let stillWaiting = 0;
    const logger = { ...silentLogger, warn: (obj: object, msg?: string) => void warnings.push(`${msg} ${JSON.stringify(obj)}`), debug: () => void stillWaiting++ };
    const relay = new OutboxRelay({ pool, nats: nc, source: 'trainer', namespace: early, pollMs: 50, logger });
    relay.start();
    try {
      const client = await pool.connect();
      await client.query('BEGIN');
      const id = await publisher.enqueue(client, 'model.training.completed', { runId: 'before-the-registry' });
      await client.query('COMMIT');
      client.release();
      // The relay has tried this row (it says why it waits) and left it, and made no stream.
      await until(() => warnings.some((w) => w.includes('does not exist yet')), { timeoutMs: 15_000, message: 'the relay says it waits for the stream' });
      // A few more passes (backoff 0.5 s, 1 s, …) before the registry comes.
      await until(() => stillWaiting >= 2, { timeoutMs: 15_000, message: 'the relay tried again' });
      expect(await unpublished(id)).toBe(true);
      await expect(jsm.streams.info(early.streamName('PUBLISHED'))).rejects.toThrow(/not found/i);

      await jsm.streams.add({ name: early.streamName('PUBLISHED'), subjects: early.streamSubjects('PUBLISHED'), num_replicas: 1 });
      await until(async () => !(await unpublished(id)), { timeoutMs: 30_000, message: 'published once the stream exists' });
      expect((await jsm.streams.info(early.streamName('PUBLISHED'))).state.messages).toBe(1);
      // Said once for the whole wait, not on every backoff pass.
      expect(warnings.filter((w) => w.includes('does not exist yet'))).toHaveLength(1);
    } finally {
      await relay.stop();
      await deleteNamespace(jsm, early.prefix);
    }
  });
});
