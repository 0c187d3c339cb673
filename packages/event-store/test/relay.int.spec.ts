import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { jetstream, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { toCloudEvent, type BusNamespace } from '@stagehook/contracts';
import { connectTestNats, testEnv, until, uniqueName, type TestDatabase } from '@stagehook/testing';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { DataSource } from 'typeorm';
import { EventStore, OutboxRelay } from '../src/index.js';
import { dataSourceFor, ev, migratedDatabase, readStreamMessages, testStream, type meta } from './helpers.js';

const logger = process.env.TEST_LOG ? { debug: console.log, info: console.log, warn: console.log, error: console.log } : undefined;

describe('OutboxRelay', () => {
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const cleanups: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    ({ nc, jsm } = await connectTestNats('relay-test'));
  });

  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    await nc.drain();
  });

  /** A relay publishes everything in its database: each test gets its own, and its own stream. */
  async function fresh(): Promise<{ db: TestDatabase; ds: DataSource; ns: BusNamespace; stream: string }> {
    const { db, ds } = await migratedDatabase('relay');
    const { ns, stream } = await testStream(jsm);
    cleanups.push(
      () => db.drop(),
      () => ds.destroy(),
      () => jsm.streams.delete(stream),
    );
    return { db, ds, ns, stream };
  }

  /** Asserts the stream holds exactly `ids`, each once, and every aggregate's versions in order. */
  function expectExactlyOnceInStreamOrder(messages: { id: string; seq: number; subject?: string; data: unknown }[], expectedCount: number) {
    expect(messages).toHaveLength(expectedCount);
    expect(new Set(messages.map((m) => m.id)).size).toBe(expectedCount);
    const lastSeq = new Map<string, number>();
    for (const m of messages) {
      const seq = (m.data as { seq: number }).seq;
      const prev = lastSeq.get(m.subject!) ?? 0;
      expect({ stream: m.subject, version: seq, at: m.seq }).toEqual({ stream: m.subject, version: prev + 1, at: m.seq });
      lastSeq.set(m.subject!, seq);
    }
  }

  it('publishes 2,000 events from two concurrent writers exactly once, each stream in order, none skipped', async () => {
    const { db, ds, ns, stream } = await fresh();
    const store = new EventStore(ds);
    const name = uniqueName('r');
    const relay = new OutboxRelay({ logger, dataSource: ds, nats: nc, name, namespace: ns, store, batchSize: 100, pollMs: 5 });
    relay.start();
    await until(() => relay.stats.leader);
    // Two writers with their own pools (as two processes would), 4 append chains each, so
    // transactions commit out of position order all the time. Each runs its replica's relay, a
    // follower, which tells the leader of its appends.
    const writer = async (w: string) => {
      const wds = await dataSourceFor(db.url, 4);
      const wstore = new EventStore(wds);
      const follower = new OutboxRelay({ logger, dataSource: wds, nats: nc, name, namespace: ns, store: wstore, pollMs: 5 });
      follower.start();
      cleanups.push(() => follower.stop());
      const chains = Array.from({ length: 4 }, async (_, c) => {
        for (let i = 1; i <= 250; i++) {
          const streamId = `item-${w}${c}`;
          await wstore.append(streamId, i - 1, [ev('item.test.appended', { seq: i, w })]);
        }
      });
      await Promise.all(chains);
      expect(follower.stats.leader).toBe(false);
      await follower.stop();
      await wds.destroy();
    };
    await Promise.all([writer('a'), writer('b')]);
    // Everything committed is checkpointed. Not `published >= 2000`: a publish whose ack was lost
    // (a slow server) is sent again and acked as a duplicate, and counts as published twice.
    await until(async () => (await relay.lag()).pending === 0, { timeoutMs: 30_000, message: 'relay published all 2000' });
    await relay.stop();
    const messages = await readStreamMessages(nc, stream);
    expectExactlyOnceInStreamOrder(messages, 2000);
    expect(await relay.lag()).toEqual({ pending: 0, oldestAgeMs: 0 });
  });

  it('does not skip an event whose transaction commits after a later position', async () => {
    const { ds, ns, stream } = await fresh();
    const store = new EventStore(ds);
    const relay = new OutboxRelay({ logger, dataSource: ds, nats: nc, name: uniqueName('r'), namespace: ns, store, pollMs: 5 });
    relay.start();
    await until(() => relay.stats.leader);

    const slow = ds.createQueryRunner();
    await slow.connect();
    await slow.startTransaction();
    await store.append('item-slow', 0, [ev('item.test.appended', { seq: 1 })], { manager: slow.manager }); // lower position, uncommitted
    await store.append('item-fast', 0, [ev('item.test.appended', { seq: 1 })]); // higher position, committed first
    // The fast event is committed but sorts after the open transaction: it must wait, not be
    // published past a gap the checkpoint would then skip, however often the relay looks.
    const reads = relay.stats.reads;
    await until(() => relay.stats.reads >= reads + 5, { message: 'five reads past the open transaction' });
    expect(relay.stats.published).toBe(0);
    expect((await relay.lag()).pending).toBe(1);

    await slow.commitTransaction();
    await slow.release();
    await until(() => relay.stats.published === 2);
    await relay.stop();
    const messages = await readStreamMessages(nc, stream);
    expect(messages.map((m) => m.subject)).toEqual(['item-slow', 'item-fast']);
  });

  it('looks again soon only while committed events wait behind an open transaction', async () => {
    const { ds, ns, stream } = await fresh();
    const store = new EventStore(ds);
    // Nothing but its own appends and that read's answer may make this relay look again.
    const relay = new OutboxRelay({ logger, dataSource: ds, nats: nc, name: uniqueName('r'), namespace: ns, store, pollMs: 5, idlePollMs: 60_000 });
    relay.start();
    await until(() => relay.stats.leader);
    await until(() => relay.stats.reads >= 1);
    // Idle: no read at all, where a poll every pollMs made a hundred.
    let reads = relay.stats.reads;
    await new Promise((r) => setTimeout(r, 500));
    expect(relay.stats.reads - reads).toBeLessThanOrEqual(1);

    // An older transaction holds an id and appends nothing: ending it wakes nobody.
    const older = ds.createQueryRunner();
    await older.connect();
    await older.startTransaction();
    await older.query(`SELECT pg_current_xact_id()`);
    await store.append('item-behind', 0, [ev('item.test.appended', { seq: 1 })]);
    reads = relay.stats.reads;
    await until(() => relay.stats.reads >= reads + 5, { message: 'reads again and again while the event waits' });
    expect(relay.stats.published).toBe(0);
    await older.commitTransaction();
    await older.release();
    await until(() => relay.stats.published === 1, { timeoutMs: 5_000, message: 'published once the older transaction ended' });
    // Nothing waits any more: idle again.
    reads = relay.stats.reads;
    await new Promise((r) => setTimeout(r, 500));
    expect(relay.stats.reads - reads).toBeLessThanOrEqual(1);
    await relay.stop();
    expect((await readStreamMessages(nc, stream)).map((m) => m.subject)).toEqual(['item-behind']);
  });

  it('is told at once of a follower replica’s appends, and the follower’s relay reads nothing', async () => {
    const { db, ds, ns, stream } = await fresh();
    const name = uniqueName('r');
    const leader = new OutboxRelay({ logger, dataSource: ds, nats: nc, name, namespace: ns, store: new EventStore(ds), pollMs: 5, idlePollMs: 60_000 });
    leader.start();
    await until(() => leader.stats.leader);
    const rds = await dataSourceFor(db.url, 2);
    cleanups.push(() => rds.destroy());
    const replica = new EventStore(rds);
    const follower = new OutboxRelay({ logger, dataSource: rds, nats: nc, name, namespace: ns, store: replica, pollMs: 5, idlePollMs: 60_000, lockRetryMs: 50 });
    follower.start();
    for (let i = 1; i <= 3; i++) {
      await replica.append('item-replica', i - 1, [ev('item.test.appended', { seq: i })]);
      // Only the notification can wake the leader before its minute-long idle poll.
      await until(() => leader.stats.published === i, { timeoutMs: 5_000, message: `append ${i} of the replica published` });
    }
    expect(follower.stats).toMatchObject({ leader: false, reads: 0, published: 0 });
    await follower.stop();
    await leader.stop();
    expectExactlyOnceInStreamOrder(await readStreamMessages(nc, stream), 3);
    // A leader that resigned gives its connection back without its LISTEN: every connection of
    // the pool, the leader's among them, listens to nothing.
    const pool = (ds.driver as unknown as { master: { totalCount: number; connect(): Promise<{ query(q: string): Promise<{ rows: { n: number }[] }>; release(): void }> } }).master;
    const clients = await Promise.all(Array.from({ length: pool.totalCount }, () => pool.connect()));
    try {
      for (const c of clients) expect((await c.query(`SELECT count(*)::int AS n FROM pg_listening_channels()`)).rows[0].n).toBe(0);
    } finally {
      for (const c of clients) c.release();
    }
  });

  it('publishes in transaction order when transaction ids differ in their number of digits', async () => {
    // A database passes 100,000 transactions within hours: ids 99,999 and 100,000 are read in
    // one batch. Written with chosen ids, which every database has passed (all below the horizon).
    const { ds, ns, stream } = await fresh();
    for (const [version, transactionId] of [
      [1, '9'],
      [2, '10'],
      [3, '100'],
    ] as const) {
      const e = ev('item.test.appended', { seq: version });
      await ds.query(
        `INSERT INTO es_events (stream_id, stream_version, event_id, type, schema_version, data, metadata, transaction_id)
         VALUES ('item-digits', $1, $2, $3, 1, $4, $5, $6::xid8)`,
        [version, e.id, e.type, JSON.stringify(e.data), JSON.stringify(e.metadata), transactionId],
      );
    }
    const relay = new OutboxRelay({ logger, dataSource: ds, nats: nc, name: uniqueName('r'), namespace: ns, pollMs: 5 });
    relay.start();
    await until(() => relay.stats.published === 3);
    await relay.stop();
    const messages = await readStreamMessages(nc, stream);
    expect(messages.map((m) => (m.data as { seq: number }).seq)).toEqual([1, 2, 3]);
  });

  it('is not held back by a long transaction in another database of the cluster', async () => {
    const { ds, ns } = await fresh();
    const other = await migratedDatabase('relay_other');
    cleanups.push(
      () => other.db.drop(),
      () => other.ds.destroy(),
    );
    const store = new EventStore(ds);
    const relay = new OutboxRelay({ logger, dataSource: ds, nats: nc, name: uniqueName('r'), namespace: ns, store, pollMs: 5 });
    relay.start();
    const longTx = other.ds.createQueryRunner();
    await longTx.connect();
    await longTx.startTransaction();
    await longTx.query(`SELECT pg_current_xact_id()`);
    try {
      await store.append('item-next-door', 0, [ev('item.test.appended', { seq: 1 })]);
      await until(() => relay.stats.published === 1, { timeoutMs: 3000, message: 'published despite the open transaction next door' });
    } finally {
      await longTx.rollbackTransaction();
      await longTx.release();
      await relay.stop();
    }
  });

  it('loses nothing when the relay process is killed mid-way and restarted', async () => {
    const { db, ds, ns, stream } = await fresh();
    const store = new EventStore(ds);
    for (let s = 0; s < 10; s++) {
      await store.append(
        `item-k${s}`,
        0,
        Array.from({ length: 300 }, (_, i) => ev('item.test.appended', { seq: i + 1 })),
      );
    }
    const name = uniqueName('r');
    const startRelay = (): { child: ChildProcess; published: () => number } => {
      let last = 0;
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', fileURLToPath(new URL('./fixtures/relay-process.ts', import.meta.url)), db.url, testEnv.natsUrl, name, ns.prefix, '50'],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      child.stdout.on('data', (b: Buffer) => {
        const lines = b.toString().trim().split('\n');
        last = (JSON.parse(lines[lines.length - 1]) as { published: number }).published;
      });
      return { child, published: () => last };
    };

    const first = startRelay();
    await until(() => first.published() > 300, { timeoutMs: 20_000, message: 'first relay got going' });
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    const infoAtKill = await jsm.streams.info(stream);
    expect(infoAtKill.state.messages).toBeLessThan(3000);

    const second = startRelay();
    try {
      await until(async () => (await jsm.streams.info(stream)).state.messages >= 3000, { timeoutMs: 30_000, message: 'all 3000 in the stream' });
      await until(async () => (await new OutboxRelay({ logger, dataSource: ds, nats: nc, name }).lag()).pending === 0);
    } finally {
      second.child.kill('SIGTERM');
    }
    const messages = await readStreamMessages(nc, stream);
    expectExactlyOnceInStreamOrder(messages, 3000);
  });

  it('writes its checkpoint at most every checkpointEveryMs while events trickle in, and the last one when it stops', async () => {
    const { ds, ns } = await fresh();
    // Every statement the relay's connections send: checkpoint writes are counted.
    const sent: string[] = [];
    type Client = { query: (...a: unknown[]) => unknown; spied?: true };
    const pool = (ds.driver as unknown as { master: { on(event: 'acquire', f: (c: Client) => void): void } }).master;
    pool.on('acquire', (client) => {
      if (client.spied) return;
      client.spied = true;
      const query = client.query.bind(client);
      client.query = (...args: unknown[]) => {
        const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string }).text;
        if (text) sent.push(text.trim());
        return query(...args);
      };
    });
    const store = new EventStore(ds);
    const relay = new OutboxRelay({ logger, dataSource: ds, nats: nc, name: uniqueName('r'), namespace: ns, store, pollMs: 5, checkpointEveryMs: 250 });
    relay.start();
    await until(() => relay.stats.leader);
    const started = Date.now();
    for (let i = 1; i <= 30; i++) {
      await store.append(`item-t${i}`, 0, [ev('item.test.appended', { seq: 1 })]);
      await new Promise((r) => setTimeout(r, 15));
    }
    await until(() => relay.stats.published === 30);
    const elapsed = Date.now() - started;
    const batches = relay.stats.batches;
    const writes = () => sent.filter((t) => t.startsWith('INSERT INTO es_checkpoints')).length;
    // One batch per event or so, each woken by its append; a write per 250 ms, not per batch.
    expect(batches).toBeGreaterThanOrEqual(10);
    expect(writes()).toBeLessThanOrEqual(Math.ceil(elapsed / 250) + 1);
    await relay.stop();
    expect(await relay.lag()).toEqual({ pending: 0, oldestAgeMs: 0 });
  });

  it('gives its leadership lock back when reading its checkpoint fails after taking it', async () => {
    const { ds, ns, stream } = await fresh();
    const store = new EventStore(ds);
    await store.append('item-lock', 0, [ev('item.test.appended', { seq: 1 })]);
    // The checkpoint read fails (here: its table is gone for a while) right after the lock is taken.
    await ds.query(`ALTER TABLE es_checkpoints RENAME TO es_checkpoints_away`);
    const name = uniqueName('r');
    const failing = new OutboxRelay({ logger, dataSource: ds, nats: nc, name, namespace: ns, store, pollMs: 5, lockRetryMs: 50 });
    failing.start();
    try {
      await until(() => failing.stats.errors >= 2, { message: 'two failed tries to lead' });
      await failing.stop();
      // Stopped, it holds nothing: a lock left on a connection back in the pool would keep every
      // relay of this name from leading for as long as that connection lives.
      const [held] = await ds.query<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      );
      expect(held.n).toBe(0);
    } finally {
      await ds.query(`ALTER TABLE es_checkpoints_away RENAME TO es_checkpoints`);
    }
    const relay = new OutboxRelay({ logger, dataSource: ds, nats: nc, name, namespace: ns, store, pollMs: 5 });
    relay.start();
    await until(() => relay.stats.published === 1, { timeoutMs: 10_000, message: 'leads and publishes once the checkpoint reads' });
    await relay.stop();
    expect((await readStreamMessages(nc, stream)).map((m) => m.subject)).toEqual(['item-lock']);
  });

  it('runs one leader among replicas and fails over when it stops', async () => {
    const { ds, ns, stream } = await fresh();
    const store = new EventStore(ds);
    const name = uniqueName('r');
    const a = new OutboxRelay({ logger, dataSource: ds, nats: nc, name, namespace: ns, pollMs: 5, lockRetryMs: 50 });
    const b = new OutboxRelay({ logger, dataSource: ds, nats: nc, name, namespace: ns, pollMs: 5, lockRetryMs: 50 });
    a.start();
    await until(() => a.stats.leader);
    b.start();
    await store.append(
      'item-l',
      0,
      Array.from({ length: 10 }, (_, i) => ev('item.test.appended', { seq: i + 1 })),
    );
    await until(() => a.stats.published === 10);
    expect(b.stats.leader).toBe(false);
    expect(b.stats.published).toBe(0);

    await a.stop();
    await until(() => b.stats.leader, { message: 'b takes over' });
    await store.append(
      'item-l',
      10,
      Array.from({ length: 10 }, (_, i) => ev('item.test.appended', { seq: i + 11 })),
    );
    await until(() => b.stats.published === 10);
    await b.stop();
    expectExactlyOnceInStreamOrder(await readStreamMessages(nc, stream), 20);
  });

  /** Four aggregates' events interleaved, appended in one transaction each, so one relay batch holds them all. */
  async function interleaved(store: EventStore, aggregates: number, perAggregate: number): Promise<void> {
    for (let i = 1; i <= perAggregate; i++) {
      for (let a = 0; a < aggregates; a++) await store.append(`item-o${a}`, i - 1, [ev('item.test.appended', { seq: i })]);
    }
  }

  it('keeps every aggregate in version order when one publish in the middle of a batch fails and the next ones reach the server', async () => {
    const { ds, ns, stream } = await fresh();
    const store = new EventStore(ds);
    await interleaved(store, 4, 10);
    // The 11th event of the batch (item-o2 version 3) fails once before reaching the server, as a
    // publish does during a leader change; the ones after it are sent as usual.
    const failed: string[] = [];
    let calls = 0;
    const js = jetstream(nc);
    const relay = new OutboxRelay({
      logger,
      dataSource: ds,
      nats: nc,
      name: uniqueName('r'),
      namespace: ns,
      store,
      batchSize: 100,
      pollMs: 5,
      publish: (subject, payload, opts) => {
        calls++;
        const e = JSON.parse(payload) as { subject: string; streamversion: number };
        if (failed.length === 0 && e.subject === 'item-o2' && e.streamversion === 3) {
          failed.push(`${e.subject}@${e.streamversion}`);
          return Promise.reject(new Error('injected: no responders during a leader change'));
        }
        return js.publish(subject, payload, opts);
      },
    });
    relay.start();
    await until(() => relay.stats.published === 40, { timeoutMs: 20_000, message: 'all 40 published' });
    await relay.stop();
    expect(failed).toEqual(['item-o2@3']);
    expect(calls).toBeGreaterThan(40);
    const messages = await readStreamMessages(nc, stream);
    expectExactlyOnceInStreamOrder(messages, 40);
    // The envelope carries the stream version that views order by.
    for (const m of messages) expect(m.streamversion).toBe((m.data as { seq: number }).seq);
  });

  it('republishes what a crashed leader published but did not checkpoint as duplicates, in order, and goes on', async () => {
    const { ds, ns, stream } = await fresh();
    const store = new EventStore(ds);
    await interleaved(store, 2, 5);
    // A previous leader published the first three events and died before its checkpoint.
    const first = await ds.query<
      { event_id: string; type: string; stream_id: string; stream_version: number; data: unknown; metadata: typeof meta; created_at: Date; schema_version: number }[]
    >(`SELECT event_id, type, stream_id, stream_version, data, metadata, created_at, schema_version FROM es_events ORDER BY global_position LIMIT 3`);
    const js = jetstream(nc);
    for (const r of first) {
      const ce = toCloudEvent({
        id: r.event_id,
        type: r.type,
        schemaVersion: r.schema_version,
        data: r.data,
        metadata: r.metadata,
        streamId: r.stream_id,
        streamVersion: r.stream_version,
        createdAt: r.created_at,
      });
      await js.publish(ns.subject(r.type), JSON.stringify(ce), { msgID: r.event_id });
    }
    const relay = new OutboxRelay({ logger, dataSource: ds, nats: nc, name: uniqueName('r'), namespace: ns, store, pollMs: 5 });
    relay.start();
    await until(() => relay.stats.published === 10, { message: 'all 10 published' });
    await store.append('item-o0', 5, [ev('item.test.appended', { seq: 6 })]);
    await until(() => relay.stats.published === 11, { message: 'a later event published' });
    await relay.stop();
    expect(relay.stats.duplicates).toBe(3);
    expectExactlyOnceInStreamOrder(await readStreamMessages(nc, stream), 11);
  });
});
