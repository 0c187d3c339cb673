// The SQL of an append: one statement, whatever the expected version, with or without the
// statements of inline projections.
import type { ProjectionStatement } from './projections.js';
import type { ExpectedVersion } from './types.js';

/** What an append reads back: only what the database assigned. */
export interface AppendedRow {
  global_position: string;
  stream_version: number;
  created_at: Date;
  transaction_id: string;
}

export const APPENDED_COLUMNS = `global_position, stream_version, created_at, transaction_id::text AS transaction_id`;

/**
 * The append of `$3` events of one stream as one statement: the CTE `s` moves the stream's
 * version under its row lock (refusing a version other than the expected one, and a transaction
 * older than the stream's last appender, see the migration: retried in a new transaction, it gets
 * a newer id); `e` numbers the events after it. A refused advance returns no row and inserts
 * nothing. Parameters: stream id, the stream type of a new stream (or the expected version when
 * it is a positive number), count, then the events' ids, types and schema versions (arrays), and
 * their data and metadata (each a JSON array); for a `count` of 1 the one event's values.
 *
 * With `projections` (statements of inline projections, see InlineProjection.statements) they
 * run as further CTEs, each gated on the advance (`{{appended}}`): a refused append writes
 * nothing of theirs either.
 */
export function appendStatement(expected: ExpectedVersion, count: number, projections: readonly ProjectionStatement[] = []): { text: string; params: unknown[] } {
  const advance =
    expected === 0
      ? `INSERT INTO es_streams (stream_id, stream_type, version) VALUES ($1, $2, $3)
         ON CONFLICT (stream_id) DO NOTHING RETURNING version`
      : expected === 'any'
        ? `INSERT INTO es_streams AS s (stream_id, stream_type, version) VALUES ($1, $2, $3)
           ON CONFLICT (stream_id) DO UPDATE
             SET version = s.version + $3, last_transaction_id = pg_current_xact_id(), updated_at = now()
             WHERE s.last_transaction_id <= pg_current_xact_id()
           RETURNING version`
        : `UPDATE es_streams SET version = version + $3, last_transaction_id = pg_current_xact_id(), updated_at = now()
           WHERE stream_id = $1 AND version = $2 AND last_transaction_id <= pg_current_xact_id()
           RETURNING version`;
  // One event (most commands decide one): scalar parameters, no arrays for the driver to quote
  // and escape nor for PostgreSQL to unnest.
  const insert =
    count === 1
      ? `INSERT INTO es_events (stream_id, stream_version, event_id, type, schema_version, data, metadata)
    SELECT $1, s.version, $4::uuid, $5::text, $6::int, $7::jsonb, $8::jsonb FROM s
    RETURNING ${APPENDED_COLUMNS}`
      : // Data and metadata as one JSON array each: the events' JSON is sent as written, where a
        // jsonb[] would have the driver escape every quote of it into an array literal.
        `INSERT INTO es_events (stream_id, stream_version, event_id, type, schema_version, data, metadata)
    SELECT $1, s.version - $3 + u.o::int, u.id, u.t, u.sv, u.d, u.m
    FROM s, ROWS FROM (unnest($4::uuid[]), unnest($5::text[]), unnest($6::int[]), jsonb_array_elements($7::jsonb), jsonb_array_elements($8::jsonb))
      WITH ORDINALITY AS u(id, t, sv, d, m, o)
    RETURNING ${APPENDED_COLUMNS}`;
  if (projections.length === 0) return { text: `WITH s AS (${advance}) ${insert}`, params: [] };
  const params: unknown[] = [];
  const ctes = projections.map((st, i) => {
    const offset = APPEND_PARAMS + params.length;
    params.push(...st.params);
    if (!st.text.includes('{{appended}}')) throw new Error(`a projection statement must be gated with {{appended}}: ${st.text.slice(0, 80)}`);
    const text = st.text
      .replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`)
      .replaceAll('{{version}}', '(SELECT version FROM s)')
      .replaceAll('{{appended}}', 'EXISTS (SELECT 1 FROM s)')
      .replace(/\{\{position:(\d+)\}\}/g, (_, n: string) => `(SELECT global_position FROM e ORDER BY stream_version OFFSET ${Number(n)} LIMIT 1)`);
    return `p${i} AS (${text})`;
  });
  return {
    text: `WITH s AS (${advance}), e AS (${insert}), ${ctes.join(', ')} SELECT * FROM e`,
    params,
  };
}

/** The parameters of `appendStatement` before any projection's. */
const APPEND_PARAMS = 8;
