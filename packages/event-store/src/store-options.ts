import type { EntityManager } from 'typeorm';
import type { InlineProjection } from './projections.js';
import type { StoredEvent } from './types.js';
import type { EventSchema } from './upcasting.js';

export interface EventStoreOptions {
  /** Each is called with only the events of its `handles`: what lets one be typed over them. */
  projections?: InlineProjection[];
  /** Schemas of the service's own events; catalog events need none. */
  schemas?: Readonly<Record<string, EventSchema>>;
  /**
   * Largest `data` + `metadata` JSON accepted, in bytes. NATS refuses messages over its
   * max_payload (1 MiB by default); an event that can never be published would stall the relay.
   */
  maxEventBytes?: number;
  /**
   * How many streams' latest folded states this process keeps (for deciders with snapshots),
   * so a command on a hot stream reads only the events after the state it already has.
   */
  stateCacheSize?: number;
}

/** A folded state at `version`, as a decider with snapshots loads and keeps it. */
export interface CachedState {
  /** The decider's snapshot version the state was folded by. */
  snapshotVersion: number;
  version: number;
  state: unknown;
  /** The stream version of the newest snapshot stored in the database (0: none). */
  storedAt: number;
}

export interface AppendOptions {
  /** Append inside the caller's transaction (the effect of a message handler, say). */
  manager?: EntityManager;
  /** Recorded on a new stream: what kind of aggregate it is. */
  streamType?: string;
}

export interface AppendResult {
  /** The stream version after the append. */
  version: number;
  events: StoredEvent[];
}

export interface ReadStreamOptions {
  fromVersion?: number;
  /** Read only up to this version: state as of any past version. */
  toVersion?: number;
  manager?: EntityManager;
}
