import type { EntityManager } from 'typeorm';
import type { StoredEvent } from './types.js';

/**
 * A read model updated in the same transaction as the append that produced its events, so it
 * is never behind the stream. It must be a pure function of the events: `rebuild` replays them
 * from the start and must arrive at the same rows.
 */
export interface InlineProjection {
  readonly name: string;
  /** Event types it reacts to; it is not called for others. */
  readonly handles: readonly string[];
  apply(events: StoredEvent[], tx: EntityManager): Promise<void>;
  /** Removes everything the projection wrote, before a rebuild. */
  reset(tx: EntityManager): Promise<void>;
}
