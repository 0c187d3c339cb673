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
  /**
   * Optional, for the hot path: the writes `apply` would make for the events of one append (one
   * stream), as statements the append runs inside its own statement, so an append that only such
   * projections react to is one round trip with no explicit transaction (inside a caller's transaction,
   * the same statement runs there). Undefined when these
   * events need `apply` (the append then opens a transaction as usual).
   *
   * The statements run as data-modifying CTEs on one snapshot: they must never touch a row twice
   * nor read what another writes, and each must write only when the append does, with
   * `{{appended}}` in its condition (`UPDATE … WHERE … AND {{appended}}`, `INSERT … SELECT … WHERE
   * {{appended}}`; the append refuses one without). What the database assigns is not known yet: write `{{version}}`
   * for the stream's version after the append, `{{position:i}}` for the global position of the
   * append's i-th event (from 0), and `now()` for the events' `created_at` (the statement's time,
   * which is what it stores). Parameters are numbered from `$1` in each.
   * `apply` stays the definition: a rebuild replays through it, and the tests compare both.
   */
  statements?(events: readonly AppendingEventOf<E>[]): ProjectionStatement[] | undefined;
}

/** An event of an append, before the database assigned its position, version and time. */
export type AppendingEventOf<E extends DomainEvent> = E & { streamId: string; id: string };

/** One write of a projection: SQL and its parameters (`$1`…). */
export interface ProjectionStatement {
  text: string;
  params: unknown[];
}
