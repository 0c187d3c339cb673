import { randomUUID } from 'node:crypto';
import type { EventMetadata } from '@stagehook/contracts';
import type { EntityManager } from 'typeorm';
import type { EventStore } from './event-store.js';
import { ConcurrencyConflictError, type StoredEvent } from './types.js';

/** An event as a decider sees it: its type and data, nothing of storage. */
export interface DomainEvent<T extends string = string, D = unknown> {
  type: T;
  data: D;
}

/**
 * The business rules of one aggregate as pure functions. `decide` throws a domain error to
 * refuse a command; the clock comes in on the command, never from `Date.now()` inside.
 */
export interface Decider<Command, Event extends DomainEvent, State> {
  initialState(): State;
  evolve(state: State, event: Event): State;
  decide(command: Command, state: State): Event[];
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

/** Load the stream → pure `decide` → append with the version it was decided on. */
export async function handleCommand<C, E extends DomainEvent, S>(
  store: EventStore,
  streamId: string,
  decider: Decider<C, E, S>,
  command: C,
  opts: HandleCommandOptions,
): Promise<CommandResult<S>> {
  const retries = opts.manager || opts.expectedVersion !== undefined ? 0 : (opts.retries ?? 3);
  for (let attempt = 0; ; attempt++) {
    const history = await store.readStream(streamId, { manager: opts.manager });
    const version = history.length === 0 ? 0 : history[history.length - 1].streamVersion;
    if (opts.expectedVersion !== undefined && opts.expectedVersion !== version) {
      throw new ConcurrencyConflictError(streamId, opts.expectedVersion, version);
    }
    const state = fold(decider, history as unknown as E[]);
    const decided = decider.decide(command, state);
    if (decided.length === 0) return { state, version, events: [] };
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
      return { state: decided.reduce((s, e) => decider.evolve(s, e), state), version: res.version, events: res.events };
    } catch (err) {
      if (err instanceof ConcurrencyConflictError && attempt < retries) continue;
      throw err;
    }
  }
}
