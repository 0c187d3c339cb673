import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The idempotency record: a consumer inserts (consumer, event id) in the same transaction as the
 * handler's effect, so a redelivered or republished event is recognised and skipped.
 */
export class CreateMessagingHandled1795460000000 implements MigrationInterface {
  name = 'CreateMessagingHandled1795460000000';

  async up(qr: QueryRunner): Promise<void> {
    await qr.query(`
      CREATE TABLE msg_handled (
        consumer   text        NOT NULL,
        event_id   uuid        NOT NULL,
        handled_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT msg_handled_pk PRIMARY KEY (consumer, event_id)
      )`);
    // Purging old ids scans by age.
    await qr.query(`CREATE INDEX msg_handled_handled_at_idx ON msg_handled (handled_at)`);
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.query(`DROP TABLE msg_handled`);
  }
}

/**
 * Messages a consumer gave up on, with the reason. PostgreSQL is the durable record; the copy on
 * the DEADLETTER stream is for tooling that watches NATS.
 */
export class CreateMessagingDeadLetters1795460000001 implements MigrationInterface {
  name = 'CreateMessagingDeadLetters1795460000001';

  async up(qr: QueryRunner): Promise<void> {
    await qr.query(`
      CREATE TABLE msg_dead_letters (
        id                bigserial   PRIMARY KEY,
        consumer          text        NOT NULL,
        stream            text        NOT NULL,
        subject           text        NOT NULL,
        stream_seq        bigint      NOT NULL,
        -- when the stream stored the message: with stream_seq it identifies the message even if
        -- the stream is recreated and its sequence starts again
        stored_at         timestamptz NOT NULL,
        event_id          text,
        event_type        text,
        reason            text        NOT NULL,
        payload           text        NOT NULL,
        payload_encoding  text        NOT NULL CHECK (payload_encoding IN ('utf8', 'base64')),
        payload_bytes     integer     NOT NULL,
        payload_truncated boolean     NOT NULL,
        headers           jsonb       NOT NULL DEFAULT '{}'::jsonb,
        delivery_count    integer     NOT NULL,
        created_at        timestamptz NOT NULL DEFAULT now()
      )`);
    // Dead-lettering the same message again (a crash before term, a retried publish) updates the row.
    await qr.query(`CREATE UNIQUE INDEX msg_dead_letters_message_uq ON msg_dead_letters (consumer, stream, stream_seq, stored_at)`);
    // Admin listing: newest first per consumer, keyset-paginated by id.
    await qr.query(`CREATE INDEX msg_dead_letters_consumer_id_idx ON msg_dead_letters (consumer, id DESC)`);
    await qr.query(`CREATE INDEX msg_dead_letters_event_id_idx ON msg_dead_letters (event_id) WHERE event_id IS NOT NULL`);
    await qr.query(`CREATE INDEX msg_dead_letters_created_at_idx ON msg_dead_letters (created_at)`);
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.query(`DROP TABLE msg_dead_letters`);
  }
}

/**
 * Redrive: when an operator last replayed a dead letter, how often, and what came of it. A dead
 * letter stays (the record of what happened); `replay_outcome` says whether it is resolved.
 */
export class AddDeadLetterReplays1795460000002 implements MigrationInterface {
  name = 'AddDeadLetterReplays1795460000002';

  async up(qr: QueryRunner): Promise<void> {
    await qr.query(`
      ALTER TABLE msg_dead_letters
        ADD COLUMN replayed_at timestamptz NULL,
        ADD COLUMN replay_count integer NOT NULL DEFAULT 0,
        ADD COLUMN replay_outcome text NULL`);
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.query(`ALTER TABLE msg_dead_letters DROP COLUMN replayed_at, DROP COLUMN replay_count, DROP COLUMN replay_outcome`);
  }
}

/** Add these to a service's DataSource `migrations`; the tables are never synchronized. */
export const messagingMigrations = [CreateMessagingHandled1795460000000, CreateMessagingDeadLetters1795460000001, AddDeadLetterReplays1795460000002];
