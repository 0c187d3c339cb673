/**
 * Throughput of ConsumerRunner on this machine: N events over K keys, one INSERT per event, at
 * several concurrencies; and, as a ceiling, the same transactions without NATS.
 * Run: npx tsx bench/runner.bench.ts   (BENCH_EVENTS, BENCH_KEYS to change the size)
 */
import { jetstream } from '@nats-io/jetstream';
import { BusNamespace, newEvent, toCloudEvent } from '@stagehook/contracts';
import { connectTestNats, createTestDatabase, deleteStreams, uniqueName, until } from '@stagehook/testing';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ConsumerRunner, ensureStreams, HandledEventRepository, messagingMigrations } from '../src/index.js';

const total = Number(process.env.BENCH_EVENTS ?? 3000);
const keyCount = Number(process.env.BENCH_KEYS ?? 300);

const db = await createTestDatabase('msg_bench');
const ds = new DataSource({ type: 'postgres', url: db.url, migrations: messagingMigrations, extra: { max: 40 } });
await ds.initialize();
await ds.runMigrations();
await ds.query(`CREATE TABLE bench_effects (event_id uuid PRIMARY KEY, item_id text NOT NULL, version int NOT NULL)`);
const { nc, jsm } = await connectTestNats('bench');
const js = jetstream(nc);
const streams: string[] = [];

function event(i: number) {
  const itemId = `item-${i % keyCount}`;
  const e = newEvent(
    'item.status.changed',
    {
      itemId,
      datasetId: 'ds',
      projectId: 'p',
      from: 'new',
      to: 'in_progress',
      changedBy: 'u',
      reason: null,
      itemVersion: Math.floor(i / keyCount) + 1,
      changedAt: new Date().toISOString(),
    },
    { source: 'items', projectId: 'p' },
  );
  return toCloudEvent({ ...e, streamId: itemId, createdAt: new Date() });
}

async function viaRunner(concurrency: number): Promise<number> {
  const ns = new BusNamespace(uniqueName('bench'));
  streams.push(...(await ensureStreams(jsm, ns, ['ITEMS', 'DEADLETTER'])).map((s) => s.config.name));
  const consumer = `c${concurrency}`;
  const pubs: Promise<unknown>[] = [];
  for (let i = 0; i < total; i++) {
    const e = event(i);
    pubs.push(js.publish(ns.subject(e.type), JSON.stringify(e), { msgID: e.id }));
    if (pubs.length >= 256) await Promise.all(pubs.splice(0));
  }
  await Promise.all(pubs);
  const runner = new ConsumerRunner({
    dataSource: ds,
    nats: nc,
    namespace: ns,
    stream: 'ITEMS',
    durable: consumer,
    concurrency,
    handlers: {
      'item.status.changed': async (e, ctx) => {
        await ctx.manager.query(`INSERT INTO bench_effects (event_id, item_id, version) VALUES ($1, $2, $3)`, [e.id, e.data.itemId, e.data.itemVersion]);
      },
    },
  });
  const t0 = performance.now();
  await runner.start();
  await until(async () => (await runner.lag()).pending === 0 && (await runner.lag()).ackPending === 0, { timeoutMs: 120_000, intervalMs: 20 });
  const ms = performance.now() - t0;
  await runner.stop();
  return ms;
}

/** The runner's database work alone: claim + insert + probe + commit per event, `concurrency` at a time. */
async function dbOnly(concurrency: number): Promise<number> {
  const consumer = `db${concurrency}`;
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const qr = ds.createQueryRunner();
        await qr.connect();
        await qr.startTransaction();
        await new HandledEventRepository(qr.manager).claim(consumer, randomUUID());
        await qr.manager.query(`INSERT INTO bench_effects (event_id, item_id, version) VALUES ($1, $2, $3)`, [randomUUID(), `item-${i % keyCount}`, 1]);
        await qr.query('SELECT 1');
        await qr.commitTransaction();
        await qr.release();
      }
    }),
  );
  return performance.now() - t0;
}

const rate = (ms: number) => Math.round((total * 1000) / ms);
try {
  console.log(`${total} events over ${keyCount} keys, one INSERT each`);
  for (const c of [1, 4, 8, 16]) {
    const runnerMs = await viaRunner(c);
    const dbMs = await dbOnly(c);
    console.log(`concurrency ${String(c).padStart(2)}: runner ${rate(runnerMs)} events/s | database work alone ${rate(dbMs)} tx/s`);
  }
} finally {
  await deleteStreams(jsm, streams);
  await nc.drain();
  await ds.destroy();
  await db.drop();
}
