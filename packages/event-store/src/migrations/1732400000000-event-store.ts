import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The event store is also the outbox: the relay reads `es_events` in (transaction_id,
 * global_position) order below the oldest running transaction, so a transaction that commits
 * after a later position is never skipped. `es_streams.last_transaction_id` lets an append refuse
 * to write a stream version under an older transaction id than the stream's previous version,
 * which would otherwise let the relay publish a stream's events out of order.
 */
export class EventStore1732400000000 implements MigrationInterface {
  name = 'EventStore1732400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE es_streams (
        stream_id text PRIMARY KEY,
        stream_type text NOT NULL,
        version integer NOT NULL CHECK (version >= 0),
        last_transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE es_events (
        global_position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        stream_id text NOT NULL,
        stream_version integer NOT NULL CHECK (stream_version >= 1),
        event_id uuid NOT NULL,
        type text NOT NULL,
        schema_version integer NOT NULL CHECK (schema_version >= 1),
        data jsonb NOT NULL,
        metadata jsonb NOT NULL,
        transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT es_events_stream_version_uq UNIQUE (stream_id, stream_version),
        CONSTRAINT es_events_event_id_uq UNIQUE (event_id)
      )`);
    await q.query(`CREATE INDEX es_events_relay_idx ON es_events (transaction_id, global_position)`);
    await q.query(`CREATE INDEX es_events_type_idx ON es_events (type, global_position)`);
    await q.query(`
      CREATE TABLE es_checkpoints (
        name text PRIMARY KEY,
        transaction_id xid8 NOT NULL,
        global_position bigint NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE es_checkpoints`);
    await q.query(`DROP TABLE es_events`);
    await q.query(`DROP TABLE es_streams`);
  }
}
