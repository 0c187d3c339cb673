import type { EntityManager } from 'typeorm';
import type { DomainEvent, StoredEventOf } from './types.js';

/**
 * A read model updated in the same transaction as the append that produced its events, so it
 * is never behind the stream. It must be a pure function of the events: `rebuild` replays them
 * from the start and must arrive at the same rows.
 *
 * `E` is the union of the events it handles (`EventOf<…>` from contracts for catalog types):
 * `apply` receives only those, so a switch on `event.type` narrows `data` without a cast.
 */
export interface InlineProjection<E extends DomainEvent = DomainEvent<string, Record<string, unknown>>> {
  readonly name: string;
  /** Event types it reacts to; it is not called for others. */
  readonly handles: readonly E['type'][];
  apply(events: StoredEventOf<E>[], tx: EntityManager): Promise<void>;
  /** Removes everything the projection wrote, before a rebuild. */
  reset(tx: EntityManager): Promise<void>;
}
