import { randomUUID } from 'node:crypto';
import type { EventMetadata } from '@stagehook/contracts';
import type { EntityManager } from 'typeorm';
import type { EventStore } from './event-store.js';
import type { CachedState } from './store-options.js';
import { ConcurrencyConflictError, narrowEvents, type DomainEvent, type StoredEvent } from './types.js';

export type { DomainEvent } from './types.js';

/**
 * The business rules of one aggregate as pure functions. `decide` throws a domain error to
 * refuse a command; the clock comes in on the command, never from `Date.now()` inside.
 */
export interface Decider<Command, Event extends DomainEvent, State> {
  initialState(): State;
  evolve(state: State, event: Event): State;
  decide(command: Command, state: State): Event[];
  /**
   * The types of the stream's events (a list derived from contracts): given, loading the stream
   * refuses an event of any other type with `UnexpectedEventTypeError` instead of folding it.
   */
  eventTypes?: readonly Event['type'][];
  /** Opt in for aggregates whose streams grow long: commands then fold only the tail. */
  snapshot?: Snapshotting<State>;
}

/**
 * How a decider's state is stored as a snapshot. Requires `evolve` and `decide` never to mutate
 * a state they are given: a loaded state is kept in memory and folded on by later commands.
 */
export interface Snapshotting<State> {
  /**
   * Bump whenever `evolve` or the state's shape changes: snapshots of another version are
   * ignored (the stream is folded from the start) and replaced by the next write.
   */
  version: number;
  /** JSON-serialisable form of the state. */
  toSnapshot(state: State): unknown;
  /** Inverse of `toSnapshot`: `fromSnapshot(toSnapshot(s))` must decide and evolve as `s` does. */
  fromSnapshot(snapshot: unknown): State;
  /** A snapshot is written once this many events were appended since the stored one (default 100). */
  every?: number;
}

export interface LoadedState<S> {
  state: S;
  version: number;
  /** Stream version of the stored snapshot the state started from, or last wrote (0: none). */
  storedAt: number;
}

/**
 * The stream's current state. With snapshots: this process's cached state (or else the stored
 * snapshot) plus the events after it, one query for a hot stream whatever its length; without:
 * a fold of the whole stream.
 */
export async function loadState<E extends DomainEvent, S>(
  store: EventStore,
  streamId: string,
  decider: Pick<Decider<unknown, E, S>, 'initialState' | 'evolve' | 'snapshot' | 'eventTypes'>,
  manager?: EntityManager,
  opts: { trustCache?: boolean } = {},
): Promise<LoadedState<S> & { fromCacheOnly?: boolean }> {
  const snap = decider.snapshot;
  let base: LoadedState<S> = { state: decider.initialState(), version: 0, storedAt: 0 };
  let tail: readonly StoredEvent[];
  const cached = cachedFor(store, streamId, snap);
  if (cached && opts.trustCache) {
    // Not read at all: the append's version check refuses a decision made on a stale state.
    return { state: cached.state as S, version: cached.version, storedAt: cached.storedAt, fromCacheOnly: true };
  }
  if (cached) {
    base = { state: cached.state as S, version: cached.version, storedAt: cached.storedAt };
    tail = await store.readStream(streamId, { fromVersion: base.version + 1, manager });
  } else if (snap) {
    const read = await store.readFromSnapshot(streamId, snap.version, manager);
    if (read.snapshot) {
      const at = read.snapshot.streamVersion;
      base = { state: snap.fromSnapshot(read.snapshot.state), version: at, storedAt: at };
    }
    tail = read.events;
  } else {
    tail = await store.readStream(streamId, { manager });
  }
  if (tail.length === 0) return base;
  // Without `eventTypes` the stream's types are not known here: its events are taken to be the decider's own.
  const untyped: readonly DomainEvent[] = tail;
  const events: readonly E[] = decider.eventTypes ? narrowEvents<E>(tail, decider.eventTypes) : untyped.map((e) => e as E);
  const state = events.reduce((s, e) => decider.evolve(s, e), base.state);
  const loaded = { state, version: tail[tail.length - 1].streamVersion, storedAt: base.storedAt };
  // Inside a caller's transaction the tail may hold its own uncommitted events: kept once it commits.
  if (snap) store.cacheState(streamId, { snapshotVersion: snap.version, version: loaded.version, state, storedAt: loaded.storedAt }, manager);
  return loaded;
}

/** This process's cached state of the stream, if it was folded by the decider's current `evolve`. */
function cachedFor<S>(store: EventStore, streamId: string, snap: Snapshotting<S> | undefined): CachedState | undefined {
  if (!snap) return undefined;
  const cached = store.cachedState(streamId);
  return cached?.snapshotVersion === snap.version ? cached : undefined;
}

/**
 * The stream's state at exactly `version` when this process holds it, else undefined. Only
 * committed states are cached, and a version's state never changes: it is the fold of the stream
 * up to `version`, without reading it (items' export of the version its last command made).
 */
export function cachedStateAt<S>(store: EventStore, streamId: string, decider: Pick<Decider<unknown, DomainEvent, S>, 'snapshot'>, version: number): S | undefined {
  const cached = cachedFor(store, streamId, decider.snapshot);
  return cached?.version === version ? (cached.state as S) : undefined;
}

export function fold<E extends DomainEvent, S>(decider: Pick<Decider<unknown, E, S>, 'initialState' | 'evolve'>, events: readonly E[]): S {
  return events.reduce((s, e) => decider.evolve(s, e), decider.initialState());
}

export interface HandleCommandOptions {
  metadata: EventMetadata;
  /** Run inside the caller's transaction (then a conflict is thrown, not retried here). */
  manager?: EntityManager;
  /**
   * Retries after a conflict, reloading the stream and deciding again. Safe when the command
   * means the same against newer state (decide re-checks every rule); a client's If-Match
   * version should not be retried — pass 0.
   */
  retries?: number;
  /** The version the client last saw; the command is refused if the stream moved since. */
  expectedVersion?: number;
  streamType?: string;
}

export interface CommandResult<S> {
  state: S;
  /** Stream version after the command (unchanged when it decided nothing). */
  version: number;
  events: StoredEvent[];
}

/**
 * A command, or how to make it from the state the stream was loaded at: for a command whose data
 * depends on the aggregate (which workflow version's graph it moves in), so the state loaded to
 * decide is also what the command is built from, without reading a read model first. Called
 * again after a conflict, with the newer state.
 */
export type CommandFrom<C, S> = C | ((state: S) => C | Promise<C>);

/** Load the stream → pure `decide` → append with the version it was decided on. */
export async function handleCommand<C, E extends DomainEvent, S>(
  store: EventStore,
  streamId: string,
  decider: Decider<C, E, S>,
  commandFrom: CommandFrom<C, S>,
  opts: HandleCommandOptions,
): Promise<CommandResult<S>> {
  const retries = opts.manager || opts.expectedVersion !== undefined ? 0 : (opts.retries ?? 3);
  // A state this process cached for the stream is decided on without reading the stream: when
  // another process appended meanwhile, the append at the cached version is refused and the
  // command runs again on a read state. Anything else the stale state could cause (a refusal, no
  // events, a version an If-Match names) is checked against a read state before it is answered.
  // Inside a caller's transaction too: a refused append writes nothing and leaves the transaction
  // usable, and the read that follows sees the transaction's own appends.
  let trustCache = true;
  for (let attempt = 0; ;) {
    const loaded = await loadState(store, streamId, decider, opts.manager, { trustCache });
    const { state, version, storedAt } = loaded;
    // Only the first load may take the cache on trust; `cached` sends anything doubtful round again.
    const cached = loaded.fromCacheOnly === true;
    trustCache = false;
    if (opts.expectedVersion !== undefined && opts.expectedVersion !== version) {
      if (cached) continue;
      throw new ConcurrencyConflictError(streamId, opts.expectedVersion, version);
    }
    let decided: E[];
    try {
      const command = typeof commandFrom === 'function' ? await (commandFrom as (state: S) => C | Promise<C>)(state) : commandFrom;
      decided = decider.decide(command, state);
    } catch (err) {
      if (cached) continue;
      throw err;
    }
    if (decided.length === 0) {
      if (cached) continue;
      return { state, version, events: [] };
    }
    try {
      const res = await store.append(
        streamId,
        version,
        decided.map((e) => ({
          id: randomUUID(),
          type: e.type,
          schemaVersion: store.schemaVersion(e.type),
          data: e.data,
          metadata: opts.metadata,
        })),
        { manager: opts.manager, streamType: opts.streamType },
      );
      // Folded from the events as stored (jsonb orders their keys), not as decided: the state
      // kept and returned is then the one a later fold of the stream gives, byte for byte.
      const appended: readonly DomainEvent[] = res.events;
      const after = appended.reduce((s, e) => decider.evolve(s, e as E), state);
      if (decider.snapshot) await remember(store, streamId, decider.snapshot, after, res.version, storedAt, opts.manager);
      return { state: after, version: res.version, events: res.events };
    } catch (err) {
      // A cache behind another process is not a lost race: only the others count.
      if (err instanceof ConcurrencyConflictError && (cached || attempt++ < retries)) continue;
      throw err;
    }
  }
}

/** Writes a snapshot when enough events passed since the stored one, and caches committed states. */
async function remember<S>(store: EventStore, streamId: string, snap: Snapshotting<S>, state: S, version: number, storedAt: number, manager?: EntityManager): Promise<void> {
  let stored = storedAt;
  if (version - storedAt >= (snap.every ?? 100)) {
    if (manager) {
      // Same transaction as the append: the snapshot never describes a version that rolled back.
      await store.writeSnapshot(streamId, snap.version, version, snap.toSnapshot(state), manager);
      stored = version;
    } else {
      // The append has committed: failing the command now would make its caller repeat it. A
      // missing snapshot only costs the next load a longer tail, and the next command retries.
      try {
        await store.writeSnapshot(streamId, snap.version, version, snap.toSnapshot(state));
        stored = version;
      } catch {
        // Left at `storedAt`: the next command tries again.
      }
    }
  }
  store.cacheState(streamId, { snapshotVersion: snap.version, version, state, storedAt: stored }, manager);
}
