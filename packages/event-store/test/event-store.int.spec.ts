import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type TestDatabase, until } from '@stagehook/testing';
import type { DataSource, EntityManager } from 'typeorm';
import {
  ConcurrencyConflictError,
  DuplicateEventError,
  EventStore,
  EventTooLargeError,
  handleCommand,
  type Decider,
  type InlineProjection,
  UnexpectedEventTypeError,
} from '../src/index.js';
import { ev, meta, migratedDatabase } from './helpers.js';

type Annotated = { type: 'item.test.annotated'; data: { i?: number } };
type Cleared = { type: 'item.test.cleared'; data: Record<string, never> };

/** Counts annotations per item: a projection whose rows must equal a replay of the events. */
const annotationCounts: InlineProjection<Annotated | Cleared> = {
  name: 'annotation_counts',
  handles: ['item.test.annotated', 'item.test.cleared'],
  async apply(events, tx: EntityManager) {
    for (const e of events) {
      if (e.type === 'item.test.annotated') {
        await tx.query(`INSERT INTO t_counts (item_id, n) VALUES ($1, 1) ON CONFLICT (item_id) DO UPDATE SET n = t_counts.n + 1`, [e.streamId]);
      } else {
        await tx.query(`UPDATE t_counts SET n = 0 WHERE item_id = $1`, [e.streamId]);
      }
    }
  },
  async reset(tx: EntityManager) {
    await tx.query(`DELETE FROM t_counts`);
  },
};

describe('EventStore', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let store: EventStore;

  beforeAll(async () => {
    ({ db, ds } = await migratedDatabase('es'));
    await ds.query(`CREATE TABLE t_counts (item_id text PRIMARY KEY, n int NOT NULL)`);
    store = new EventStore(ds, {
      projections: [annotationCounts],
      schemas: {
        'item.test.renamed': {
          currentVersion: 2,
          upcasters: { 1: (d) => ({ name: d.title, renamedBy: 'unknown' }) },
        },
      },
    });
  });

  afterAll(async () => {
    await ds.destroy();
    await db.drop();
  });

  const count = async (streamId: string) => Number((await ds.query<{ n: string }[]>(`SELECT count(*) AS n FROM es_events WHERE stream_id = $1`, [streamId]))[0].n);

  it('appends events with consecutive versions and reads them back in order', async () => {
    const r1 = await store.append('item-a', 0, [ev('item.test.annotated', { i: 1 }), ev('item.test.annotated', { i: 2 })]);
    const r2 = await store.append('item-a', 2, [ev('item.test.annotated', { i: 3 })]);
    expect(r1.version).toBe(2);
    expect(r2.version).toBe(3);
    const events = await store.readStream('item-a');
    expect(events.map((e) => [e.streamVersion, e.data.i])).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
    expect(events[0].metadata).toEqual(meta);
    expect(await store.streamVersion('item-a')).toBe(3);
  });

  it('reads a stream as of a past version', async () => {
    await store.append('item-b', 0, [ev('item.test.annotated', { i: 1 }), ev('item.test.annotated', { i: 2 }), ev('item.test.annotated', { i: 3 })]);
    const asOf2 = await store.readStream('item-b', { toVersion: 2 });
    expect(asOf2.map((e) => e.data.i)).toEqual([1, 2]);
  });

  it('reads a stream typed by the types it may hold', async () => {
    await store.append('item-typed', 0, [ev('item.test.annotated', { i: 1 }), ev('item.test.cleared')]);
    const events = await store.readStream<Annotated | Cleared>('item-typed', { types: ['item.test.annotated', 'item.test.cleared'] });
    const seen = events.map((e) => (e.type === 'item.test.annotated' ? `annotated ${e.data.i}` : 'cleared'));
    expect(seen).toEqual(['annotated 1', 'cleared']);
  });

  it('fails a typed read of a stream holding a type its reader does not know, naming it', async () => {
    await store.append('item-untyped', 0, [ev('item.test.annotated', { i: 1 }), ev('item.test.moved', { to: 'elsewhere' })]);
    const read = store.readStream<Annotated>('item-untyped', { types: ['item.test.annotated'] });
    await expect(read).rejects.toBeInstanceOf(UnexpectedEventTypeError);
    await expect(read).rejects.toMatchObject({ code: 'UNEXPECTED_EVENT_TYPE', streamId: 'item-untyped', streamVersion: 2, eventType: 'item.test.moved' });
    // Up to the version before it, the same read succeeds.
    await expect(store.readStream<Annotated>('item-untyped', { types: ['item.test.annotated'], toVersion: 1 })).resolves.toHaveLength(1);
  });

  it('rejects a conflicting append with a typed error and writes nothing', async () => {
    await store.append('item-c', 0, [ev('item.test.annotated')]);
    await expect(store.append('item-c', 0, [ev('item.test.annotated')])).rejects.toBeInstanceOf(ConcurrencyConflictError);
    await expect(store.append('item-c', 5, [ev('item.test.annotated'), ev('item.test.annotated')])).rejects.toMatchObject({
      code: 'CONCURRENCY_CONFLICT',
      expected: 5,
      actual: 1,
    });
    expect(await count('item-c')).toBe(1);
    expect(await store.streamVersion('item-c')).toBe(1);
    const counts = await ds.query<{ n: number }[]>(`SELECT n FROM t_counts WHERE item_id = 'item-c'`);
    expect(counts[0].n).toBe(1);
  });

  it('appends events no projection reacts to in one statement: a refused or duplicate append writes nothing', async () => {
    const first = ev('item.test.moved', { to: 'a' });
    await store.append('item-unprojected', 0, [first]);
    // The second event repeats an id already stored: the statement fails as a whole.
    await expect(store.append('item-unprojected', 1, [ev('item.test.moved', { to: 'b' }), { ...ev('item.test.moved'), id: first.id }])).rejects.toBeInstanceOf(DuplicateEventError);
    await expect(store.append('item-unprojected', 0, [ev('item.test.moved')])).rejects.toMatchObject({ reason: 'version', actual: 1 });
    await expect(store.append('item-unprojected', 3, [ev('item.test.moved')])).rejects.toMatchObject({ reason: 'version', expected: 3, actual: 1 });
    expect(await count('item-unprojected')).toBe(1);
    expect(await store.streamVersion('item-unprojected')).toBe(1);
    await expect(store.append('item-unprojected', 'any', [ev('item.test.moved'), ev('item.test.moved')])).resolves.toMatchObject({ version: 3 });
  });

  it('returns the appended events as a read of the stream gives them back', async () => {
    const appended = await store.append('item-echo', 0, [ev('item.test.annotated', { i: 1, nested: { b: [1, 'x'], a: null } }), ev('item.test.moved', { to: 'z' })]);
    const read = await store.readStream('item-echo');
    expect(appended.events).toEqual(read);
    expect(appended.version).toBe(2);
    const any = await store.append('item-echo', 'any', [ev('item.test.moved', { to: 'y' })]);
    expect(any.events).toEqual(await store.readStream('item-echo', { fromVersion: 3 }));
  });

  it('lets exactly one of many concurrent appends at the same version win', async () => {
    await store.append('item-race', 0, [ev('item.test.annotated')]);
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => store.append('item-race', 1, [ev('item.test.annotated')])));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results.filter((x) => x.status === 'rejected')) {
      expect(r.reason).toBeInstanceOf(ConcurrencyConflictError);
    }
    expect(await count('item-race')).toBe(2);
  });

  it('refuses an append from a transaction older than the stream’s last appender, so the relay keeps stream order', async () => {
    await store.append('item-order', 0, [ev('item.test.annotated')]);
    const older = ds.createQueryRunner();
    await older.connect();
    await older.startTransaction();
    // The older transaction takes its id first (any write does) ...
    await older.query(`SELECT pg_current_xact_id()`);
    // ... a newer one appends and commits ...
    await store.append('item-order', 1, [ev('item.test.annotated')]);
    // ... so an append by the older one at the now-current version would sort before it.
    await expect(store.append('item-order', 2, [ev('item.test.annotated')], { manager: older.manager })).rejects.toMatchObject({
      reason: 'transaction_order',
    });
    await older.rollbackTransaction();
    await older.release();
    // A new transaction succeeds.
    await expect(store.append('item-order', 2, [ev('item.test.annotated')])).resolves.toMatchObject({ version: 3 });
  });

  describe('projections that say their writes as statements', () => {
    type Stated = { type: 'item.test.stated'; data: { n: number } };
    /** Sums `n` per stream and keeps the stream's version: `apply` and `statements` must agree. */
    const sums: InlineProjection<Stated> = {
      name: 'stated_sums',
      handles: ['item.test.stated'],
      async apply(events, tx) {
        for (const e of events) {
          await tx.query(
            `INSERT INTO t_sums (stream_id, total, version, last_position) VALUES ($1, $2, $3, $4)
             ON CONFLICT (stream_id) DO UPDATE SET total = t_sums.total + EXCLUDED.total, version = EXCLUDED.version, last_position = EXCLUDED.last_position`,
            [e.streamId, e.data.n, e.streamVersion, e.globalPosition],
          );
        }
      },
      async reset(tx) {
        await tx.query(`DELETE FROM t_sums`);
      },
      statements(events) {
        return [
          {
            text: `INSERT INTO t_sums (stream_id, total, version, last_position) SELECT $1::text, $2::int, {{version}}, {{position:${events.length - 1}}} WHERE {{appended}}
                   ON CONFLICT (stream_id) DO UPDATE SET total = t_sums.total + EXCLUDED.total, version = EXCLUDED.version, last_position = EXCLUDED.last_position`,
            params: [events[0].streamId, events.reduce((sum, e) => sum + e.data.n, 0)],
          },
        ];
      },
    };
    let sumStore: EventStore;
    const row = async (streamId: string) => (await ds.query<{ total: number; version: number }[]>(`SELECT total, version FROM t_sums WHERE stream_id = $1`, [streamId]))[0];

    beforeAll(async () => {
      await ds.query(`CREATE TABLE t_sums (stream_id text PRIMARY KEY, total int NOT NULL, version int NOT NULL, last_position bigint NOT NULL)`);
      sumStore = new EventStore(ds, { projections: [sums] });
    });

    it('writes the events and the projection in one statement, at the version the append reached', async () => {
      await sumStore.append('item-sum1', 0, [ev('item.test.stated', { n: 2 }), ev('item.test.stated', { n: 3 })]);
      const last = await sumStore.append('item-sum1', 'any', [ev('item.test.stated', { n: 5 })]);
      expect(await row('item-sum1')).toEqual({ total: 10, version: 3 });
      const [{ last_position }] = await ds.query<{ last_position: string }[]>(`SELECT last_position FROM t_sums WHERE stream_id = 'item-sum1'`);
      expect(Number(last_position)).toBe(last.events[0].globalPosition);
    });

    it('writes nothing of a refused append, neither the events nor the projection', async () => {
      await sumStore.append('item-sum2', 0, [ev('item.test.stated', { n: 1 })]);
      await expect(sumStore.append('item-sum2', 0, [ev('item.test.stated', { n: 7 })])).rejects.toMatchObject({ code: 'CONCURRENCY_CONFLICT', reason: 'version', actual: 1 });
      await expect(sumStore.append('item-sum2', 4, [ev('item.test.stated', { n: 7 })])).rejects.toMatchObject({ code: 'CONCURRENCY_CONFLICT', expected: 4, actual: 1 });
      const first = ev('item.test.stated', { n: 7 });
      await sumStore.append('item-sum3', 0, [first]);
      await expect(sumStore.append('item-sum2', 1, [{ ...ev('item.test.stated', { n: 7 }), id: first.id }])).rejects.toBeInstanceOf(DuplicateEventError);
      expect(await row('item-sum2')).toEqual({ total: 1, version: 1 });
      expect(await count('item-sum2')).toBe(1);
    });

    it('runs in a caller’s transaction, which rolls both back', async () => {
      await sumStore.append('item-sum4', 0, [ev('item.test.stated', { n: 1 })]);
      await expect(
        ds.transaction(async (manager) => {
          await sumStore.append('item-sum4', 1, [ev('item.test.stated', { n: 4 })], { manager });
          expect((await manager.query<{ total: number }[]>(`SELECT total FROM t_sums WHERE stream_id = 'item-sum4'`))[0].total).toBe(5);
          throw new Error('caller fails');
        }),
      ).rejects.toThrow('caller fails');
      expect(await row('item-sum4')).toEqual({ total: 1, version: 1 });
    });

    it('leaves the rows a rebuild through apply makes', async () => {
      const before = await ds.query(`SELECT * FROM t_sums ORDER BY stream_id`);
      await sumStore.rebuildProjection('stated_sums');
      expect(await ds.query(`SELECT * FROM t_sums ORDER BY stream_id`)).toEqual(before);
    });
  });

  describe('appendToStreams', () => {
    it('appends one event to each stream, new or existing, at its next version, in the caller’s transaction', async () => {
      await store.append('delivery-x1', 0, [ev('item.test.annotated', { i: 1 })]);
      const stored = await ds.transaction((m) =>
        store.appendToStreams(
          [
            { streamId: 'delivery-x1', event: ev('item.test.annotated', { i: 2 }) },
            { streamId: 'delivery-x2', event: ev('item.test.annotated', { i: 1 }) },
          ],
          { manager: m },
        ),
      );
      expect(stored.map((e) => [e.streamId, e.streamVersion])).toEqual([
        ['delivery-x1', 2],
        ['delivery-x2', 1],
      ]);
      expect((await store.readStream('delivery-x1')).map((e) => e.data.i)).toEqual([1, 2]);
      expect(await store.streamVersion('delivery-x2')).toBe(1);
    });

    it('writes nothing when the caller’s transaction rolls back', async () => {
      await expect(
        ds.transaction(async (m) => {
          await store.appendToStreams([{ streamId: 'delivery-rb', event: ev('item.test.annotated') }], { manager: m });
          throw new Error('caller fails');
        }),
      ).rejects.toThrow('caller fails');
      expect(await store.streamVersion('delivery-rb')).toBe(0);
      expect(await count('delivery-rb')).toBe(0);
    });

    it('refuses the whole call when one stream was appended by a newer transaction', async () => {
      const older = ds.createQueryRunner();
      await older.connect();
      await older.startTransaction();
      await older.query(`SELECT pg_current_xact_id()`);
      await store.append('delivery-newer', 0, [ev('item.test.annotated')]);
      await expect(
        store.appendToStreams(
          [
            { streamId: 'delivery-fresh', event: ev('item.test.annotated') },
            { streamId: 'delivery-newer', event: ev('item.test.annotated') },
          ],
          { manager: older.manager },
        ),
      ).rejects.toMatchObject({ streamId: 'delivery-newer', reason: 'transaction_order' });
      await older.rollbackTransaction();
      await older.release();
      expect(await store.streamVersion('delivery-fresh')).toBe(0);
    });

    it('refuses repeated stream ids and a repeated event id', async () => {
      await expect(
        ds.transaction((m) =>
          store.appendToStreams(
            [
              { streamId: 'delivery-twice', event: ev('item.test.annotated') },
              { streamId: 'delivery-twice', event: ev('item.test.annotated') },
            ],
            { manager: m },
          ),
        ),
      ).rejects.toThrow('distinct');
      const once = ev('item.test.annotated');
      await store.append('delivery-dup-a', 0, [once]);
      await expect(ds.transaction((m) => store.appendToStreams([{ streamId: 'delivery-dup-b', event: once }], { manager: m }))).rejects.toBeInstanceOf(DuplicateEventError);
    });
  });

  it('upcasts old schema versions on read without rewriting them', async () => {
    await store.append('item-up', 0, [{ ...ev('item.test.renamed', { title: 'Screws' }), schemaVersion: 1 }]);
    const [e] = await store.readStream('item-up');
    expect(e.schemaVersion).toBe(2);
    expect(e.data).toEqual({ name: 'Screws', renamedBy: 'unknown' });
    const raw = await ds.query<{ schema_version: number; data: unknown }[]>(`SELECT schema_version, data FROM es_events WHERE stream_id = 'item-up'`);
    expect(raw[0]).toEqual({ schema_version: 1, data: { title: 'Screws' } });
  });

  it('refuses an event larger than the bus carries', async () => {
    const big = 'x'.repeat(1_000_000);
    await expect(store.append('item-big', 0, [ev('item.test.annotated', { big })])).rejects.toBeInstanceOf(EventTooLargeError);
    expect(await count('item-big')).toBe(0);
  });

  it('updates inline projections in the append’s transaction: a rolled-back caller leaves neither', async () => {
    await expect(
      ds.transaction(async (tx) => {
        await store.append('item-rb', 0, [ev('item.test.annotated')], { manager: tx });
        throw new Error('handler failed after appending');
      }),
    ).rejects.toThrow('handler failed');
    expect(await count('item-rb')).toBe(0);
    expect(await ds.query(`SELECT * FROM t_counts WHERE item_id = 'item-rb'`)).toEqual([]);
  });

  it("tells its listeners (the relay) of an append in a caller's transaction once that commits, never if it rolls back", async () => {
    const visible: number[] = [];
    const stop = store.onAppended(() => void count('item-notify').then((n) => visible.push(n)));
    try {
      await ds.transaction(async (tx) => {
        await store.append('item-notify', 0, [ev('item.test.annotated')], { manager: tx });
        await store.append('item-notify', 1, [ev('item.test.annotated')], { manager: tx });
        expect(visible).toEqual([]);
      });
      await expect(
        ds.transaction(async (tx) => {
          await store.append('item-notify', 2, [ev('item.test.annotated')], { manager: tx });
          throw new Error('rolled back');
        }),
      ).rejects.toThrow('rolled back');
      // Told after the commit (once per append), when a reader sees the events; not for the rollback.
      await until(() => visible.length === 2);
      expect(visible).toEqual([2, 2]);
    } finally {
      stop();
    }
  });

  it('rebuilds a projection from the events to the same rows as the inline one', async () => {
    for (let i = 0; i < 20; i++) {
      const id = `item-p${i % 5}`;
      const v = await store.streamVersion(id);
      await store.append(id, v, [ev(i % 7 === 6 ? 'item.test.cleared' : 'item.test.annotated')]);
    }
    const before = await ds.query(`SELECT item_id, n FROM t_counts ORDER BY item_id`);
    await ds.query(`UPDATE t_counts SET n = -1`);
    const { events } = await store.rebuildProjection('annotation_counts');
    expect(events).toBeGreaterThanOrEqual(20);
    const after = await ds.query(`SELECT item_id, n FROM t_counts ORDER BY item_id`);
    expect(after).toEqual(before);
  });

  describe('handleCommand', () => {
    type Cmd = { kind: 'annotate'; max: number };
    type Evt = { type: 'item.test.annotated'; data: Record<string, never> };
    const limited: Decider<Cmd, Evt, { n: number }> = {
      initialState: () => ({ n: 0 }),
      evolve: (s, e) => (e.type === 'item.test.annotated' ? { n: s.n + 1 } : s),
      decide: (c, s) => {
        if (s.n >= c.max) throw new Error(`at most ${c.max} annotations`);
        return [{ type: 'item.test.annotated', data: {} }];
      },
    };

    it('decides against the loaded stream and appends at its version', async () => {
      const r = await handleCommand(store, 'item-cmd', limited, { kind: 'annotate', max: 2 }, { metadata: meta });
      expect(r.version).toBe(1);
      expect(r.state).toEqual({ n: 1 });
    });

    it('retries racing commands on conflict, and every rule is checked again', async () => {
      const results = await Promise.allSettled(
        Array.from({ length: 6 }, () => handleCommand(store, 'item-cmd2', limited, { kind: 'annotate', max: 4 }, { metadata: meta, retries: 10 })),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(4);
      expect(results.filter((r) => r.status === 'rejected').map((r) => (r.reason as Error).message)).toEqual(['at most 4 annotations', 'at most 4 annotations']);
      expect(await store.streamVersion('item-cmd2')).toBe(4);
    });

    it('builds the command from the loaded state, and again from the newer state after a conflict', async () => {
      const seen: number[] = [];
      const from = async (s: { n: number }): Promise<Cmd> => {
        seen.push(s.n);
        // A racer appends while the first command is being built: its append conflicts.
        if (seen.length === 1) await store.append('item-cmd5', 'any', [ev('item.test.annotated')]);
        return { kind: 'annotate', max: s.n + 1 };
      };
      const r = await handleCommand(store, 'item-cmd5', limited, from, { metadata: meta });
      expect(seen).toEqual([0, 1]);
      expect(r).toMatchObject({ version: 2, state: { n: 2 } });
    });

    it('refuses to fold a stream holding a type the decider does not list', async () => {
      await store.append('item-cmd4', 0, [ev('item.test.annotated'), ev('item.test.cleared')]);
      const typed: Decider<Cmd, Evt, { n: number }> = { ...limited, eventTypes: ['item.test.annotated'] };
      await expect(handleCommand(store, 'item-cmd4', typed, { kind: 'annotate', max: 9 }, { metadata: meta })).rejects.toMatchObject({
        code: 'UNEXPECTED_EVENT_TYPE',
        eventType: 'item.test.cleared',
      });
      expect(await store.streamVersion('item-cmd4')).toBe(2);
      // Without the list the stream is folded as the decider's own, as before.
      await expect(handleCommand(store, 'item-cmd4', limited, { kind: 'annotate', max: 9 }, { metadata: meta })).resolves.toMatchObject({ version: 3 });
    });

    it('refuses a command decided on a version the stream has moved past (If-Match)', async () => {
      await handleCommand(store, 'item-cmd3', limited, { kind: 'annotate', max: 9 }, { metadata: meta });
      await expect(handleCommand(store, 'item-cmd3', limited, { kind: 'annotate', max: 9 }, { metadata: meta, expectedVersion: 0 })).rejects.toBeInstanceOf(
        ConcurrencyConflictError,
      );
    });
  });
});
