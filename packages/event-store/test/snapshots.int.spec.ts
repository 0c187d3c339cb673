import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { TestDatabase } from '@stagehook/testing';
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { EventStore, fold, handleCommand, loadState, type Decider, type DomainEvent, type Snapshotting } from '../src/index.js';
import { parseAsJsonb } from '../src/jsonb.js';
import { meta, migratedDatabase } from './helpers.js';

/** A list the commands push to and drop from; its state is a plain array, kept immutable. */
type ListEvent = DomainEvent<'pushed', { value: number }> | DomainEvent<'dropped', { value: number }>;
type ListCommand = { push: number } | { drop: number };
interface ListState {
  values: readonly number[];
  /** Counts folded events: a snapshot that lost or repeated one shows here. */
  folded: number;
}

const listSnapshots = (version: number, every: number): Snapshotting<ListState> => ({
  version,
  every,
  toSnapshot: (s) => s,
  fromSnapshot: (snapshot) => snapshot as ListState,
});

const listDecider = (snapshot?: Snapshotting<ListState>): Decider<ListCommand, ListEvent, ListState> => ({
  initialState: () => ({ values: [], folded: 0 }),
  evolve: (s, e) => ({
    values: e.type === 'pushed' ? [...s.values, e.data.value] : s.values.filter((v) => v !== e.data.value),
    folded: s.folded + 1,
  }),
  decide: (c) => ('push' in c ? [{ type: 'pushed', data: { value: c.push } }] : [{ type: 'dropped', data: { value: c.drop } }]),
  ...(snapshot ? { snapshot } : {}),
});

describe('snapshots', () => {
  let db: TestDatabase;
  let ds: DataSource;

  beforeAll(async () => {
    ({ db, ds } = await migratedDatabase('es_snapshots'));
  });
  afterAll(async () => {
    await ds.destroy();
    await db.drop();
  });

  const fullFold = async (store: EventStore, streamId: string) => fold(listDecider(), (await store.readStream(streamId)) as DomainEvent[] as ListEvent[]);
  const snapshotRow = async (streamId: string) =>
    (await ds.query<{ snapshot_version: number; stream_version: number }[]>(`SELECT snapshot_version, stream_version FROM es_snapshots WHERE stream_id = $1`, [streamId]))[0];

  it('loads the latest snapshot plus the events after it, equal to a fold of the whole stream', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.nat(5).map((n) => ({ push: n })),
            fc.nat(5).map((n) => ({ drop: n })),
          ),
          { minLength: 1, maxLength: 25 },
        ),
        fc.integer({ min: 1, max: 6 }),
        async (commands: ListCommand[], every) => {
          const streamId = `list-${randomUUID()}`;
          const decider = listDecider(listSnapshots(1, every));
          const writer = new EventStore(ds);
          for (const c of commands) await handleCommand(writer, streamId, decider, c, { metadata: meta });
          // A new store has no cached state: it starts from the stored snapshot.
          const cold = await loadState(new EventStore(ds), streamId, decider);
          const warm = await loadState(writer, streamId, decider);
          const expected = await fullFold(writer, streamId);
          expect(cold.state).toEqual(expected);
          expect(warm.state).toEqual(expected);
          expect(cold.version).toBe(commands.length);
          const row = await snapshotRow(streamId);
          if (commands.length >= every) expect(row.stream_version).toBe(Math.floor(commands.length / every) * every);
          else expect(row).toBeUndefined();
        },
      ),
      { numRuns: 25 },
    );
  });

  it('ignores a snapshot written by another decider version and replaces it', async () => {
    const streamId = `list-${randomUUID()}`;
    const v1 = listDecider(listSnapshots(1, 2));
    const store = new EventStore(ds);
    for (const n of [1, 2, 3, 4]) await handleCommand(store, streamId, v1, { push: n }, { metadata: meta });
    // Version 1 stored a state that version 2 would read differently: pretend its evolve changed.
    await ds.query(`UPDATE es_snapshots SET state = $2 WHERE stream_id = $1`, [streamId, JSON.stringify({ values: [99], folded: 4 })]);
    const v2 = listDecider(listSnapshots(2, 2));
    const fresh = new EventStore(ds);
    expect((await loadState(fresh, streamId, v2)).state).toEqual({ values: [1, 2, 3, 4], folded: 4 });
    await handleCommand(fresh, streamId, v2, { push: 5 }, { metadata: meta });
    expect(await snapshotRow(streamId)).toEqual({ snapshot_version: 2, stream_version: 5 });
    expect((await loadState(new EventStore(ds), streamId, v2)).state).toEqual({ values: [1, 2, 3, 4, 5], folded: 5 });
  });

  it('catches up with events another process appended after its cached state', async () => {
    const streamId = `list-${randomUUID()}`;
    const decider = listDecider(listSnapshots(1, 100));
    const a = new EventStore(ds);
    const b = new EventStore(ds);
    await handleCommand(a, streamId, decider, { push: 1 }, { metadata: meta });
    await handleCommand(b, streamId, decider, { push: 2 }, { metadata: meta });
    const res = await handleCommand(a, streamId, decider, { push: 3 }, { metadata: meta });
    expect(res.state).toEqual({ values: [1, 2, 3], folded: 3 });
    expect(res.version).toBe(3);
  });

  it('decides a hot stream on its cached state without reading it, and checks whatever a stale state decides against a read one', async () => {
    const streamId = `list-${randomUUID()}`;
    const base = listDecider(listSnapshots(1, 100));
    // Refuses to drop a value the list does not hold; dropping a value twice decides nothing.
    const decider: Decider<ListCommand, ListEvent, ListState> = {
      ...base,
      decide: (c, st) => {
        if ('drop' in c && !st.values.includes(c.drop)) throw new Error(`no ${c.drop} to drop`);
        return base.decide(c, st);
      },
    };
    const a = new EventStore(ds);
    const b = new EventStore(ds);
    await handleCommand(a, streamId, decider, { push: 1 }, { metadata: meta });
    const reads = { n: 0 };
    const readStream = a.readStream.bind(a);
    a.readStream = ((...args: Parameters<EventStore['readStream']>) => (reads.n++, readStream(...args))) as EventStore['readStream'];
    await handleCommand(a, streamId, decider, { push: 2 }, { metadata: meta });
    expect(reads.n).toBe(0);
    // Another process pushes 9: a's cache is behind. Dropping 9 is refused on the cached state,
    // then decided on a read one.
    await handleCommand(b, streamId, decider, { push: 9 }, { metadata: meta });
    await expect(handleCommand(a, streamId, decider, { drop: 9 }, { metadata: meta })).resolves.toMatchObject({ version: 4, state: { values: [1, 2] } });
    // An If-Match naming the stream's version is taken though the cache is behind again.
    await handleCommand(b, streamId, decider, { push: 5 }, { metadata: meta });
    await expect(handleCommand(a, streamId, decider, { push: 6 }, { metadata: meta, expectedVersion: 5 })).resolves.toMatchObject({ version: 6 });
    // A refusal that holds on the read state too reaches the caller.
    await expect(handleCommand(a, streamId, decider, { drop: 42 }, { metadata: meta })).rejects.toThrow('no 42 to drop');
    expect((await handleCommand(a, streamId, decider, { push: 7 }, { metadata: meta })).state).toEqual(await fullFold(a, streamId));
  });

  it("caches a state decided inside a caller's transaction once that transaction commits, and decides on it there too", async () => {
    const streamId = `list-${randomUUID()}`;
    const decider = listDecider(listSnapshots(1, 100));
    const store = new EventStore(ds);
    const reads = { n: 0 };
    const readStream = store.readStream.bind(store);
    store.readStream = ((...args: Parameters<EventStore['readStream']>) => (reads.n++, readStream(...args))) as EventStore['readStream'];
    await handleCommand(store, streamId, decider, { push: 1 }, { metadata: meta });
    // A consumer's transaction: decided on the cached state (no read), and its state is kept once committed.
    await ds.transaction(async (tx) => {
      await handleCommand(store, streamId, decider, { push: 2 }, { metadata: meta, manager: tx });
      // Not before the commit: the transaction could still roll back.
      expect(store.cachedState(streamId)?.version).toBe(1);
    });
    expect(store.cachedState(streamId)).toMatchObject({ version: 2, state: { values: [1, 2], folded: 2 } });
    const res = await handleCommand(store, streamId, decider, { push: 3 }, { metadata: meta });
    expect(reads.n).toBe(0);
    expect(res.state).toEqual(await fullFold(store, streamId));
    // A stale cache inside a transaction: the append is refused and the command decided on a read state.
    await handleCommand(new EventStore(ds), streamId, decider, { push: 4 }, { metadata: meta });
    await ds.transaction(async (tx) => {
      const inTx = await handleCommand(store, streamId, decider, { push: 5 }, { metadata: meta, manager: tx });
      expect(inTx).toMatchObject({ version: 5, state: { values: [1, 2, 3, 4, 5] } });
    });
    expect(store.cachedState(streamId)).toMatchObject({ version: 5 });
  });

  it('keeps no cached state of a transaction PostgreSQL rolled back at its COMMIT', async () => {
    const streamId = `list-${randomUUID()}`;
    const decider = listDecider(listSnapshots(1, 100));
    const store = new EventStore(ds);
    await handleCommand(store, streamId, decider, { push: 1 }, { metadata: meta });
    // A caller that swallows a failed statement: the transaction is aborted, TypeORM's COMMIT
    // succeeds as a statement, and PostgreSQL answers it with ROLLBACK.
    await ds.transaction(async (tx) => {
      await handleCommand(store, streamId, decider, { push: 2 }, { metadata: meta, manager: tx });
      await tx.query('SELECT 1 / 0').catch(() => undefined);
    });
    expect(await store.streamVersion(streamId)).toBe(1);
    expect(store.cachedState(streamId)).toMatchObject({ version: 1 });
    // Version 2 is written by someone else: the state that was never committed is not taken for it.
    await handleCommand(new EventStore(ds), streamId, decider, { push: 7 }, { metadata: meta });
    expect((await handleCommand(store, streamId, decider, { push: 3 }, { metadata: meta })).state).toEqual({ values: [1, 7, 3], folded: 3 });
  });

  it('keeps neither a snapshot nor a cached state of a transaction that rolled back', async () => {
    const streamId = `list-${randomUUID()}`;
    const decider = listDecider(listSnapshots(1, 1));
    const store = new EventStore(ds);
    await handleCommand(store, streamId, decider, { push: 1 }, { metadata: meta });
    await expect(
      ds.transaction(async (tx) => {
        await handleCommand(store, streamId, decider, { push: 2 }, { metadata: meta, manager: tx });
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await snapshotRow(streamId)).toEqual({ snapshot_version: 1, stream_version: 1 });
    // Version 2 is written again by someone else: the rolled-back state must not be taken for it.
    await handleCommand(new EventStore(ds), streamId, decider, { push: 7 }, { metadata: meta });
    const res = await handleCommand(store, streamId, decider, { push: 3 }, { metadata: meta });
    expect(res.state).toEqual({ values: [1, 7, 3], folded: 3 });
  });

  describe('states and appended events as the store gives them back', () => {
    /** Keeps each event's data whole, so the state shows the keys' order as folded. */
    type NoteEvent = DomainEvent<'noted', Record<string, unknown>>;
    const notes: Decider<Record<string, unknown>, NoteEvent, { notes: readonly Record<string, unknown>[] }> = {
      initialState: () => ({ notes: [] }),
      evolve: (s, e) => ({ notes: [...s.notes, e.data] }),
      decide: (c) => [{ type: 'noted', data: c }],
      snapshot: { version: 1, every: 100, toSnapshot: (s) => s, fromSnapshot: (s) => s as { notes: Record<string, unknown>[] } },
    };
    // Keys in an order jsonb does not keep: it orders an object's keys by their length in bytes,
    // then bytewise. Integer-like keys, non-ASCII keys and a key named __proto__ included.
    const note = () => ({
      zeta: 1,
      a: { yy: [{ h: 1, w: 2, y: 3, x: 4 }], b: 'é' },
      10: 'ten',
      2: 'two',
      é: 'e-acute',
      f: 'f',
      ab: { polygon: 1, name: 2 },
      ['__proto__']: { c: 1, b: 2 },
    });

    it('decides on, caches and returns the state a later fold of the stored events gives, byte for byte', async () => {
      const streamId = `notes-${randomUUID()}`;
      const store = new EventStore(ds);
      const first = await handleCommand(store, streamId, notes, JSON.parse(JSON.stringify(note())) as Record<string, unknown>, { metadata: meta });
      const second = await handleCommand(store, streamId, notes, { y: 1, x: 2, name: 'n' }, { metadata: meta });
      const stored = await new EventStore(ds).readStream(streamId);
      expect(JSON.stringify(first.events.map((e) => e.data))).toBe(JSON.stringify(stored.slice(0, 1).map((e) => e.data)));
      const folded = JSON.stringify(fold(notes, stored as DomainEvent[] as NoteEvent[]));
      expect(JSON.stringify(second.state)).toBe(folded);
      expect(JSON.stringify(store.cachedState(streamId)?.state)).toBe(folded);
      expect(JSON.stringify((await loadState(store, streamId, notes)).state)).toBe(folded);
      // The key named __proto__ stays an own key, never the object's prototype.
      const kept = second.state.notes[0];
      expect(Object.getPrototypeOf(kept)).toBe(Object.prototype);
      expect(Object.keys(kept)).toContain('__proto__');
    });
    it("orders keys as PostgreSQL's jsonb does, for any keys", async () => {
      // PostgreSQL is the reference: its text of the jsonb value, parsed, is what a read gives.
      // Any code point but NUL, which jsonb refuses, and lone surrogates, which UTF-8 cannot carry.
      const codePoint = fc
        .integer({ min: 1, max: 0x10ffff })
        .filter((cp) => cp < 0xd800 || cp > 0xdfff)
        .map((cp) => String.fromCodePoint(cp));
      const key = fc.string({ unit: fc.oneof(fc.constantFrom('a', 'b', 'Z', '_', '1', '0', '~', 'é', 'ß', '€', '𝒳', 'ｱ', '\u007f'), codePoint), maxLength: 6 });
      const value = fc.letrec<{ node: unknown }>((tie) => ({
        node: fc.oneof({ depthSize: 'small' }, fc.integer(), fc.string({ maxLength: 3 }), fc.array(tie('node'), { maxLength: 3 }), fc.dictionary(key, tie('node'), { maxKeys: 6 })),
      })).node;
      await fc.assert(
        fc.asyncProperty(fc.dictionary(key, value, { minKeys: 1, maxKeys: 12 }), async (doc) => {
          const text = JSON.stringify(doc);
          const [{ stored }] = await ds.query<{ stored: string }[]>(`SELECT $1::jsonb::text AS stored`, [text]);
          expect(JSON.stringify(parseAsJsonb(text))).toBe(JSON.stringify(JSON.parse(stored)));
        }),
        { numRuns: 300 },
      );
    });
  });
});
