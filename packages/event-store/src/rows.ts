import type { EventToAppend, StoredEvent } from './types.js';
import { DuplicateEventError } from './types.js';

/** An es_events row as the store selects it (EVENT_COLUMNS). */
export interface EventRow {
  global_position: string;
  stream_id: string;
  stream_version: number;
  event_id: string;
  type: string;
  schema_version: number;
  data: Record<string, unknown>;
  metadata: StoredEvent['metadata'];
  created_at: Date;
  transaction_id: string;
}

export const EVENT_COLUMNS = `global_position, stream_id, stream_version, event_id, type, schema_version, data, metadata,
  created_at, transaction_id::text AS transaction_id`;

const PG_UNIQUE_VIOLATION = '23505';

/** PostgreSQL's SQLSTATE of an error from TypeORM or pg, if it has one. */
export function pgCode(err: unknown): string | undefined {
  const pgErr = err as { code?: string; driverError?: { code?: string } } | null;
  return pgErr?.driverError?.code ?? pgErr?.code;
}

/** A unique violation on the event id becomes `DuplicateEventError`; anything else is returned as is. */
export function duplicateOr(err: unknown, events: readonly EventToAppend[]): unknown {
  const pgErr = err as { code?: string; constraint?: string; driverError?: { code?: string; constraint?: string } };
  const code = pgCode(err);
  const constraint = pgErr.driverError?.constraint ?? pgErr.constraint;
  if (code === PG_UNIQUE_VIOLATION && constraint === 'es_events_event_id_uq') {
    return new DuplicateEventError(events.length === 1 ? events[0].id : events.map((e) => e.id).join(','));
  }
  return err;
}
