import type { DataSource, EntityManager } from 'typeorm';
import type { EventRow } from './rows.js';
import { sql } from './sql.js';

// The outbox relay's statements (relay.ts): what it reads, where it stands, how far behind it is.

/**
 * The oldest transaction that may still add events to this database's `es_events`: the oldest
 * one running in this snapshot, except those known to run in other databases of the cluster
 * (they never write here; a plain `pg_snapshot_xmin` would let any long transaction next door
 * stall this relay). An xid we cannot place is kept, so the horizon errs towards waiting.
 */
const HORIZON_SQL = `
  SELECT COALESCE(
    (SELECT min(x) FROM pg_snapshot_xip(pg_current_snapshot()) AS x
      WHERE (x::text::bigint % 4294967296) NOT IN (
        SELECT backend_xid::text::bigint FROM pg_stat_activity
        WHERE backend_xid IS NOT NULL AND datname IS DISTINCT FROM current_database())),
    pg_snapshot_xmax(pg_current_snapshot()))`;

/** An event the relay may publish, as read: a stored event whose data is the JSON text, published as read, never parsed here. */
export type PendingRow = Omit<EventRow, 'data'> & { data: string };

/** Where the relay stands: the last event it published, in (transaction id, global position) order. */
export interface Checkpoint {
  transactionId: string;
  position: string;
}

/** What one read of the relay found. */
export interface PendingRead {
  rows: PendingRow[];
  /**
   * Events after `after` that committed but lie past the horizon (an older transaction is still
   * open): publishable once it ends, which no append of this process may announce.
   */
  heldBack: boolean;
}

/**
 * Up to `limit` publishable events after `after`, in (transaction id, global position) order:
 * the columns' order, not the text the id is read back as (ORDER BY a bare name sorts by the
 * output column of that name, and the text '100000' sorts before '99999'). One more row, with
 * no event, when committed events wait behind the horizon: the same statement and snapshot, so
 * an event is either read or reported held back.
 */
export async function readPending(dataSource: DataSource, manager: EntityManager, after: Checkpoint, limit: number): Promise<PendingRead> {
  const rows = await sql<PendingRow & { held_back: boolean }>(
    dataSource,
    manager,
    `WITH h AS (SELECT (${HORIZON_SQL}) AS horizon)
     (SELECT global_position, stream_id, stream_version, event_id, type, schema_version, data::text AS data, metadata, created_at,
             transaction_id::text AS transaction_id, false AS held_back
      FROM es_events
      WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint)
        AND transaction_id < (SELECT horizon FROM h)
      ORDER BY es_events.transaction_id, es_events.global_position
      LIMIT $3)
     UNION ALL
     SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, true
     WHERE (
       -- The first entry past the horizon, in the index's order: EXISTS let a generic plan scan
       -- the whole table instead.
       SELECT true FROM es_events
       WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint) AND transaction_id >= (SELECT horizon FROM h)
       ORDER BY es_events.transaction_id, es_events.global_position
       LIMIT 1)`,
    [after.transactionId, after.position, limit],
  );
  // Found by its flag, not its place: UNION ALL promises no order between its branches.
  const heldBack = rows.some((r) => r.held_back);
  return { rows: heldBack ? rows.filter((r) => !r.held_back) : rows, heldBack };
}

/** Stores `last` as relay `name`'s checkpoint. */
export async function writeCheckpoint(dataSource: DataSource, manager: EntityManager, name: string, last: PendingRow): Promise<void> {
  await sql(
    dataSource,
    manager,
    `INSERT INTO es_checkpoints (name, transaction_id, global_position) VALUES ($1, $2::xid8, $3)
     ON CONFLICT (name) DO UPDATE SET transaction_id = EXCLUDED.transaction_id,
       global_position = EXCLUDED.global_position, updated_at = now()`,
    [name, last.transaction_id, last.global_position],
  );
}

/** Where relay `name` stands, as last stored; the start of the log when it never stored one. */
export async function readCheckpoint(db: Pick<DataSource, 'query'>, name: string): Promise<Checkpoint> {
  const [row] = await db.query<{ transaction_id: string; global_position: string }[]>(
    `SELECT transaction_id::text AS transaction_id, global_position FROM es_checkpoints WHERE name = $1`,
    [name],
  );
  return row ? { transactionId: row.transaction_id, position: row.global_position } : { transactionId: '0', position: '0' };
}

/** Events relay `name` has not published yet, and how long the oldest has waited. */
export async function relayLag(dataSource: DataSource, name: string): Promise<{ pending: number; oldestAgeMs: number }> {
  const cp = await readCheckpoint(dataSource, name);
  const [row] = await dataSource.query<{ pending: number; oldest_ms: number | null }[]>(
    `SELECT count(*)::int AS pending, (EXTRACT(EPOCH FROM now() - min(created_at)) * 1000)::float8 AS oldest_ms
     FROM es_events WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint)`,
    [cp.transactionId, cp.position],
  );
  return { pending: row.pending, oldestAgeMs: row.oldest_ms ?? 0 };
}
