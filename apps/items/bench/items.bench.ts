// npm run bench:items — export of an item with 1,000 annotations (fold of its stream + Darwin
// document + JSON) against a raw SELECT of the same events and against JSON.stringify of the
// finished document; annotation appends per second (one annotation per command, through the
// decider, the version check and the items_view projection) against raw pg inserts of the same
// rows; and one annotation per command, one command at a time, on an item that already holds
// BENCH_BIG (default 10,000) annotations against the same on a fresh item (a command must not
// cost more as the item's stream grows). BENCH_ANNOTATIONS (default 1,000), BENCH_APPENDS
// (default 2,000) and BENCH_BIG_APPENDS (default 300) bound the run.
// The last line is one JSON object with every figure.
import { randomUUID } from 'node:crypto';
import { EventStore, eventStoreMigrations } from '@stagehook/event-store';
import { createTestDatabase } from '@stagehook/testing';
import pg from 'pg';
import { DataSource } from 'typeorm';
import type { Annotation } from '../src/domain/annotation.js';
import { toDarwin } from '../src/domain/darwin-export.js';
import { itemStreamId } from '../src/domain/item.decider.js';
import { itemsProjection } from '../src/persistence/items.projection.js';
import { ItemsQueryRepository } from '../src/persistence/items.query-repository.js';
import { ItemsRepository } from '../src/persistence/items.repository.js';
import { itemsMigrations } from '../src/persistence/migrations.js';

const ANNOTATIONS = Number(process.env.BENCH_ANNOTATIONS ?? 1000);
const APPENDS = Number(process.env.BENCH_APPENDS ?? 2000);
const BIG = Number(process.env.BENCH_BIG ?? 10_000);
const BIG_APPENDS = Number(process.env.BENCH_BIG_APPENDS ?? 300);
const EXPORT_RUNS = 20;
const CONCURRENCY = 8;
const meta = { source: 'items', projectId: 'proj-bench' };
const at = () => new Date().toISOString();

function annotation(i: number): Annotation {
  const base = { id: randomUUID(), name: `class-${i % 7}`, slot_names: ['0'], annotators: [{ full_name: 'Ada Lovelace', email: 'ada@example.com' }] };
  switch (i % 4) {
    case 0:
      return { ...base, bounding_box: { x: i % 1000, y: 10, w: 50, h: 40 } };
    case 1: {
      const paths = [Array.from({ length: 12 }, (_, k) => ({ x: 100 + k * 10, y: 100 + ((k * 37) % 90) }))];
      return { ...base, bounding_box: { x: 100, y: 100, w: 110, h: 89 }, polygon: { paths } };
    }
    case 2:
      return { ...base, keypoint: { x: i % 1920, y: i % 1080 } };
    default:
      return {
        ...base,
        line: {
          path: [
            { x: 0, y: 0 },
            { x: 10, y: i % 1080 },
          ],
        },
        attributes: ['a', 'b'],
      };
  }
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;

async function chains(total: number, concurrency: number, job: (i: number, chain: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, chain) => {
      for (let i = next++; i < total; i = next++) await job(i, chain);
    }),
  );
}

const db = await createTestDatabase('items_bench');
const ds = await new DataSource({
  type: 'postgres',
  url: db.url,
  migrations: [...eventStoreMigrations, ...itemsMigrations],
  migrationsRun: true,
  poolSize: CONCURRENCY + 2,
}).initialize();
const pool = new pg.Pool({ connectionString: db.url, max: CONCURRENCY });
await ds.query(`CREATE TABLE raw_events (LIKE es_events INCLUDING ALL)`);

try {
  const store = new EventStore(ds, { projections: [itemsProjection] });
  const repo = new ItemsRepository(ds, store);
  const queries = new ItemsQueryRepository(ds, store);
  const datasetId = randomUUID();
  await ds.query(`INSERT INTO datasets (id, project_id, name, slug) VALUES ($1, 'proj-bench', 'Bench', 'bench')`, [datasetId]);
  const register = async (name: string) => {
    const itemId = randomUUID();
    const slots = [{ name: '0', type: 'image', width: 1920, height: 1080, sourceUrl: null, thumbnailUrl: null }];
    await repo.handle(itemId, { type: 'RegisterItem', itemId, projectId: 'proj-bench', datasetId, name, path: '/', slots, metadata: {}, now: new Date() }, meta);
    return itemId;
  };

  // 1. An item with ANNOTATIONS annotations, added in one bulk command (one append).
  const big = await register('big.jpg');
  const all = Array.from({ length: ANNOTATIONS }, (_, i) => annotation(i));
  const bulkMs = await timed(() => repo.handle(big, { type: 'AddAnnotations', annotations: all, now: new Date() }, meta));

  const exportOnce = async () => {
    const { state } = await queries.load(big);
    return JSON.stringify(toDarwin(state, { dataset: { name: 'Bench', slug: 'bench' }, team: { name: 'Bench', slug: 'bench' }, workviewBaseUrl: 'http://localhost/workview' }));
  };
  const bytes = (await exportOnce()).length;
  const exportRuns: number[] = [];
  for (let r = 0; r < EXPORT_RUNS; r++) exportRuns.push(await timed(exportOnce));
  const exportMs = median(exportRuns);
  const rawSelectMs = median(
    await (async () => {
      const out: number[] = [];
      for (let r = 0; r < EXPORT_RUNS; r++) {
        out.push(
          await timed(async () => {
            const res = await pool.query<{ data: unknown }>(`SELECT data FROM es_events WHERE stream_id = $1 ORDER BY stream_version`, [itemStreamId(big)]);
            JSON.stringify(res.rows.map((r) => r.data));
          }),
        );
      }
      return out;
    })(),
  );
  const { state } = await queries.load(big);
  const doc = toDarwin(state, { dataset: { name: 'Bench', slug: 'bench' }, team: { name: 'Bench', slug: 'bench' }, workviewBaseUrl: 'http://localhost/workview' });
  const stringifyMs = median(
    await (async () => {
      const out: number[] = [];
      for (let r = 0; r < EXPORT_RUNS; r++) out.push(await timed(async () => JSON.stringify(doc)));
      return out;
    })(),
  );

  // 2. Appends: one annotation per command, CONCURRENCY items written in parallel (one chain each,
  // as separate annotators would), through decide + version check + projection.
  const items = await Promise.all(Array.from({ length: CONCURRENCY }, (_, i) => register(`append-${i}.jpg`)));
  const appendMs = await timed(() =>
    chains(APPENDS, CONCURRENCY, (i, chain) => repo.handle(items[chain], { type: 'AddAnnotations', annotations: [annotation(i)], now: new Date() }, meta)),
  );
  const rawMs = await timed(() =>
    chains(APPENDS, CONCURRENCY, (i, chain) =>
      pool.query(`INSERT INTO raw_events (stream_id, stream_version, event_id, type, schema_version, data, metadata) VALUES ($1,$2,$3,$4,1,$5,$6)`, [
        `raw-${chain}`,
        i + 1,
        randomUUID(),
        'item.annotation.added',
        JSON.stringify({ itemId: items[chain], datasetId, projectId: 'proj-bench', annotation: annotation(i), at: at() }),
        JSON.stringify(meta),
      ]),
    ),
  );

  // 3. Flat per-command cost: the same sequential commands on a fresh item and on one with BIG
  // annotations (added in bulk commands of 1,000, as an import would).
  const huge = await register('huge.jpg');
  for (let done = 0; done < BIG; done += 1000) {
    const batch = Array.from({ length: Math.min(1000, BIG - done) }, (_, i) => annotation(done + i));
    await repo.handle(huge, { type: 'AddAnnotations', annotations: batch, now: new Date() }, meta);
  }
  const fresh = await register('fresh.jpg');
  const sequential = async (itemId: string) =>
    timed(async () => {
      for (let i = 0; i < BIG_APPENDS; i++) await repo.handle(itemId, { type: 'AddAnnotations', annotations: [annotation(i)], now: new Date() }, meta);
    });
  const freshMs = await sequential(fresh);
  const hugeMs = await sequential(huge);

  const figures = {
    annotations: ANNOTATIONS,
    exportMs: round(exportMs),
    exportBytes: bytes,
    rawSelectMs: round(rawSelectMs),
    stringifyOnlyMs: round(stringifyMs),
    exportVsRawSelect: round(exportMs / rawSelectMs),
    bulkAddMs: round(bulkMs),
    appends: APPENDS,
    appendsPerSecond: Math.round(APPENDS / (appendMs / 1000)),
    rawInsertsPerSecond: Math.round(APPENDS / (rawMs / 1000)),
    appendVsRaw: round(APPENDS / (appendMs / 1000) / (APPENDS / (rawMs / 1000))),
    big: BIG,
    bigAppends: BIG_APPENDS,
    freshCommandMs: round(freshMs / BIG_APPENDS),
    bigCommandMs: round(hugeMs / BIG_APPENDS),
    bigVsFresh: round(hugeMs / freshMs),
  };
  console.log(`items bench (${ANNOTATIONS} annotations, ${APPENDS} appends, ${CONCURRENCY} concurrent writers)`);
  console.table([
    {
      figure: `export of ${ANNOTATIONS} annotations (read + fold + Darwin + JSON)`,
      value: `${figures.exportMs} ms`,
      baseline: `raw SELECT + JSON ${figures.rawSelectMs} ms; JSON.stringify alone ${figures.stringifyOnlyMs} ms`,
    },
    { figure: `bulk add of ${ANNOTATIONS} annotations (one command)`, value: `${figures.bulkAddMs} ms`, baseline: '' },
    {
      figure: 'annotation appends/s (one per command)',
      value: `${figures.appendsPerSecond}/s`,
      baseline: `raw pg inserts ${figures.rawInsertsPerSecond}/s (×${figures.appendVsRaw})`,
    },
    {
      figure: `one annotation per command on an item with ${BIG} annotations`,
      value: `${figures.bigCommandMs} ms`,
      baseline: `fresh item ${figures.freshCommandMs} ms (×${figures.bigVsFresh})`,
    },
  ]);
  console.log(JSON.stringify(figures));
} finally {
  await pool.end();
  await ds.destroy();
  await db.drop();
}
