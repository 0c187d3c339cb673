// npm run bench:event-store — appends/s (one event per transaction, and batched), relay
// publish/s, and the same work done with raw `pg` inserts and raw JetStream publishes in the
// same run, with the ratios. Bounded: BENCH_EVENTS (default 20,000) events per figure.
// The last line is one JSON object with every figure.
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { BusNamespace, toCloudEvent, type EventMetadata } from '@stagehook/contracts';
import { createTestDatabase, testEnv, uniqueName } from '@stagehook/testing';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { EventStore, eventStoreMigrations, OutboxRelay } from '../src/index.js';

const N = Number(process.env.BENCH_EVENTS ?? 20_000);
const CONCURRENCY = 8;
const BATCH = 100;
const meta: EventMetadata = { source: 'bench', projectId: 'proj-bench' };
// About the size of a status-change event.
const data = (i: number) => ({
  itemId: `item-${i}`,
  datasetId: 'ds-1',
  projectId: 'proj-bench',
  from: 'new',
  to: 'in_progress',
  changedBy: 'workflow:stage-annotate',
  reason: null,
  itemVersion: i,
  changedAt: new Date().toISOString(),
});

async function timed(fn: () => Promise<void>): Promise<number> {
  const t = performance.now();
  await fn();
  return (performance.now() - t) / 1000;
}

/** Runs `total` jobs on `concurrency` chains. */
async function chains(total: number, concurrency: number, job: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < total; i = next++) await job(i);
    }),
  );
}

const rate = (n: number, s: number) => Math.round(n / s);
const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;

const db = await createTestDatabase('bench');
const ds = await new DataSource({ type: 'postgres', url: db.url, migrations: eventStoreMigrations, migrationsRun: true, poolSize: CONCURRENCY + 2 }).initialize();
const pool = new pg.Pool({ connectionString: db.url, max: CONCURRENCY });
const nc = await connect({ servers: testEnv.natsUrl, name: 'bench' });
const jsm = await jetstream(nc).jetstreamManager();
const ns = new BusNamespace(uniqueName('bench'));
const stream = ns.streamName('ITEMS');
await jsm.streams.add({ name: stream, subjects: ns.streamSubjects('ITEMS'), duplicate_window: 120_000_000_000 });
await ds.query(`CREATE TABLE raw_events (LIKE es_events INCLUDING ALL)`);

// Stopped in `finally` too: a relay left running after a failure keeps the process (and the
// test database) alive, and the bench then hangs without printing the error.
let relay: OutboxRelay | undefined;
try {
  const store = new EventStore(ds);
  const streams = 1000;

  // Both paths warm up first (connections, JIT, the tables' first pages), so the first figure
  // timed does not pay for what the second one finds ready.
  const warm = Math.min(500, N / 10);
  await chains(warm, CONCURRENCY, (i) => store.append(`item-w${i}`, 0, [{ id: randomUUID(), type: 'item.status.changed', schemaVersion: 1, data: data(i), metadata: meta }]));
  await chains(warm, CONCURRENCY, (i) =>
    pool.query(`INSERT INTO raw_events (stream_id, stream_version, event_id, type, schema_version, data, metadata) VALUES ($1, 1, $2, 'item.status.changed', 1, $3, $4)`, [
      `item-w${i}`,
      randomUUID(),
      JSON.stringify(data(i)),
      JSON.stringify(meta),
    ]),
  );

  // 1. One event per transaction through the event store (version check, projections hook).
  const single = await timed(() =>
    chains(N, CONCURRENCY, (i) =>
      store.append(`item-s${i % streams}`, 'any', [{ id: randomUUID(), type: 'item.status.changed', schemaVersion: 1, data: data(i), metadata: meta }]),
    ),
  );
  // Raw pg: the same rows, one INSERT per transaction, no version check.
  const rawSingle = await timed(() =>
    chains(N, CONCURRENCY, (i) =>
      pool.query(`INSERT INTO raw_events (stream_id, stream_version, event_id, type, schema_version, data, metadata) VALUES ($1,$2,$3,$4,1,$5,$6)`, [
        `item-s${i % streams}`,
        i + 1,
        randomUUID(),
        'item.status.changed',
        JSON.stringify(data(i)),
        JSON.stringify(meta),
      ]),
    ),
  );

  // 2. Batched: BATCH events per append.
  const batches = N / BATCH;
  const batched = await timed(() =>
    chains(batches, CONCURRENCY, (b) =>
      store.append(
        `item-b${b}`,
        0,
        Array.from({ length: BATCH }, (_, k) => ({ id: randomUUID(), type: 'item.status.changed', schemaVersion: 1, data: data(b * BATCH + k), metadata: meta })),
      ),
    ),
  );
  const rawBatched = await timed(() =>
    chains(batches, CONCURRENCY, (b) =>
      pool.query(
        `INSERT INTO raw_events (stream_id, stream_version, event_id, type, schema_version, data, metadata)
         SELECT $1, v, id, 'item.status.changed', 1, d, $4 FROM unnest($2::int[], $3::uuid[], $5::jsonb[]) AS u(v, id, d)`,
        [
          `item-rb${b}`,
          Array.from({ length: BATCH }, (_, k) => k + 1),
          Array.from({ length: BATCH }, () => randomUUID()),
          JSON.stringify(meta),
          Array.from({ length: BATCH }, (_, k) => JSON.stringify(data(b * BATCH + k))),
        ],
      ),
    ),
  );

  // 3. Relay: publish the 2N events appended above, from a cold start.
  const started = new OutboxRelay({ dataSource: ds, nats: nc, name: 'bench', namespace: ns, batchSize: 1000, pollMs: 5 });
  relay = started;
  const relayTime = await timed(async () => {
    started.start();
    while (started.stats.published < 2 * N) await new Promise((r) => setTimeout(r, 5));
  });
  // Raw JetStream: the same number of CloudEvents bodies, pipelined 1000 at a time, msgID set.
  const body = JSON.stringify(
    toCloudEvent({ id: randomUUID(), type: 'item.status.changed', schemaVersion: 1, data: data(1), metadata: meta, streamId: 'item-1', createdAt: new Date() }),
  );
  const js = jetstream(nc);
  const rawPublish = await timed(async () => {
    for (let i = 0; i < 2 * N; i += 1000) {
      await Promise.all(Array.from({ length: Math.min(1000, 2 * N - i) }, () => js.publish(ns.subject('item.raw.published'), body, { msgID: randomUUID() })));
    }
  });

  // 4. Relay lag while appends run at the batched rate: sampled every 50 ms.
  let maxLag = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      maxLag = Math.max(maxLag, (await started.lag()).pending);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  const start = started.stats.published;
  const underLoad = await timed(() =>
    chains(batches, CONCURRENCY, (b) =>
      store.append(
        `item-l${b}`,
        0,
        Array.from({ length: BATCH }, (_, k) => ({ id: randomUUID(), type: 'item.status.changed', schemaVersion: 1, data: data(b * BATCH + k), metadata: meta })),
      ),
    ),
  );
  const drainStart = performance.now();
  while (started.stats.published - start < N) await new Promise((r) => setTimeout(r, 5));
  const drainMs = Math.round(performance.now() - drainStart);
  sampling = false;
  await sampler;

  const r = {
    events: N,
    concurrency: CONCURRENCY,
    batch: BATCH,
    append_single_per_s: rate(N, single),
    raw_pg_single_per_s: rate(N, rawSingle),
    append_single_ratio: ratio(rawSingle, single) > 0 ? ratio(N / single, N / rawSingle) : 0,
    append_batched_events_per_s: rate(N, batched),
    raw_pg_batched_events_per_s: rate(N, rawBatched),
    append_batched_ratio: ratio(N / batched, N / rawBatched),
    relay_publish_per_s: rate(2 * N, relayTime),
    raw_jetstream_publish_per_s: rate(2 * N, rawPublish),
    relay_ratio: ratio((2 * N) / relayTime, (2 * N) / rawPublish),
    under_load_append_events_per_s: rate(N, underLoad),
    under_load_max_relay_lag_events: maxLag,
    under_load_drain_after_last_append_ms: drainMs,
  };
  console.log('event store benchmark (events/s; ratio = ours / raw baseline in this run)');
  console.table({
    'append, 1 event/tx': { ours: r.append_single_per_s, raw: r.raw_pg_single_per_s, ratio: r.append_single_ratio },
    [`append, ${BATCH} events/tx`]: { ours: r.append_batched_events_per_s, raw: r.raw_pg_batched_events_per_s, ratio: r.append_batched_ratio },
    'relay → JetStream': { ours: r.relay_publish_per_s, raw: r.raw_jetstream_publish_per_s, ratio: r.relay_ratio },
  });
  console.log(`relay under batched load: appends ${r.under_load_append_events_per_s}/s, max lag ${maxLag} events, caught up ${drainMs} ms after the last append`);
  console.log(JSON.stringify(r));
} finally {
  await relay?.stop();
  await jsm.streams.delete(stream).catch(() => undefined);
  await nc.drain();
  // pg's pools resolve end() before their connections have closed: dropping the database then
  // terminates them, which each pool reports as an 'error' event (unhandled, it killed the run).
  const closing = () => undefined;
  pool.on('error', closing);
  (ds.driver as unknown as { master: pg.Pool }).master.on('error', closing);
  await pool.end();
  await ds.destroy();
  await db.drop();
}
