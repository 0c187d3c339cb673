import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * dl_endpoints: the view of the registry's endpoints (from webhook.endpoint.* events) plus this
 * service's own health facts about them. dl_messages: frozen payloads. dl_deliveries: one per
 * (message, endpoint), the retry queue itself (claimed with FOR UPDATE SKIP LOCKED under a lease).
 * dl_attempts: the attempt log.
 */
export class CreateDeliveryTables1796000000000 implements MigrationInterface {
  name = 'CreateDeliveryTables1796000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE dl_endpoints (
        id text PRIMARY KEY,
        project_id text NOT NULL,
        state jsonb NOT NULL,
        registry_active boolean NOT NULL,
        deleted boolean NOT NULL DEFAULT false,
        source_seq bigint NOT NULL DEFAULT 0,
        disabled_at timestamptz NULL,
        disabled_reason text NULL,
        failing_since timestamptz NULL,
        last_success_at timestamptz NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX dl_endpoints_project ON dl_endpoints (project_id)`);
    await q.query(`
      CREATE TABLE dl_messages (
        id uuid PRIMARY KEY,
        project_id text NOT NULL,
        event_type text NOT NULL,
        trigger_event_id text NOT NULL,
        -- 'stage': the webhook stage's own delivery; 'event': subscribers of the event type.
        variant text NOT NULL CHECK (variant IN ('stage', 'event')),
        item_id text NULL,
        workflow_id text NULL,
        stage_id text NULL,
        visit_id text NULL,
        body text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX dl_messages_trigger ON dl_messages (trigger_event_id, variant)`);
    await q.query(`
      CREATE TABLE dl_deliveries (
        id uuid PRIMARY KEY,
        message_id uuid NOT NULL REFERENCES dl_messages (id),
        endpoint_id text NOT NULL,
        project_id text NOT NULL,
        status text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
        schedule text NOT NULL CHECK (schedule IN ('standard', 'stage')),
        attempts int NOT NULL DEFAULT 0,
        max_attempts int NOT NULL,
        next_attempt_at timestamptz NOT NULL,
        locked_until timestamptz NULL,
        locked_by text NULL,
        last_status_code int NULL,
        last_error text NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz NULL,
        UNIQUE (message_id, endpoint_id)
      )`);
    await q.query(`CREATE INDEX dl_deliveries_due ON dl_deliveries (next_attempt_at) WHERE status = 'pending'`);
    await q.query(`CREATE INDEX dl_deliveries_endpoint ON dl_deliveries (endpoint_id, created_at)`);
    await q.query(`CREATE INDEX dl_deliveries_project ON dl_deliveries (project_id, created_at, id)`);
    await q.query(`
      CREATE TABLE dl_attempts (
        id bigserial PRIMARY KEY,
        delivery_id uuid NOT NULL REFERENCES dl_deliveries (id),
        n int NOT NULL,
        started_at timestamptz NOT NULL,
        duration_ms int NOT NULL,
        status_code int NULL,
        error text NULL,
        request_headers jsonb NOT NULL,
        response_headers jsonb NULL,
        response_body text NULL,
        sent_by text NOT NULL,
        -- Two processes recording the same attempt number means one attempt was sent twice.
        UNIQUE (delivery_id, n)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE dl_attempts, dl_deliveries, dl_messages, dl_endpoints`);
  }
}

/**
 * dl_item_tags: the items' tags, from item.tag.added|removed, for endpoints' `tags` filters. One
 * row per (item, tag name), kept after a removal (`present = false`) with the ITEMS stream sequence
 * of the last event about it, so a redelivered or reordered older event never undoes a newer one.
 * Starts empty (no backfill): a tag added before this table existed is unknown to the filter.
 */
export class CreateItemTagsView1796000000001 implements MigrationInterface {
  name = 'CreateItemTagsView1796000000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE dl_item_tags (
        project_id text NOT NULL,
        item_id text NOT NULL,
        name text NOT NULL,
        present boolean NOT NULL,
        source_seq bigint NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (project_id, item_id, name)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE dl_item_tags`);
  }
}

/**
 * Views ordered by the aggregate's stream version instead of the JetStream sequence (a retried
 * publish can store an older event after a newer one). dl_endpoints keeps one version per field
 * group (base fields, active/disabledReason, signingSecrets), so full states and patches commute,
 * and placeholder rows (`registered = false`) hold patches that arrived before `registered`.
 * `source_seq` stays for events published before the relay stamped versions.
 */
export class OrderViewsByStreamVersion1796000000002 implements MigrationInterface {
  name = 'OrderViewsByStreamVersion1796000000002';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE dl_endpoints
        ADD COLUMN registered boolean NOT NULL DEFAULT true,
        ADD COLUMN base_version int NOT NULL DEFAULT 0,
        ADD COLUMN status_version int NOT NULL DEFAULT 0,
        ADD COLUMN secrets_version int NOT NULL DEFAULT 0`);
    await q.query(`ALTER TABLE dl_item_tags ADD COLUMN stream_version int NOT NULL DEFAULT 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE dl_item_tags DROP COLUMN stream_version`);
    await q.query(`ALTER TABLE dl_endpoints DROP COLUMN registered, DROP COLUMN base_version, DROP COLUMN status_version, DROP COLUMN secrets_version`);
  }
}

/**
 * Indexes for the message list and for retention. `GET /messages` filters by project (and item)
 * and pages by (created_at, id): without these it read and sorted every message. Retention
 * scans messages by age across projects. dl_attempts gets no age index (retention walks it by
 * id): every attempt would pay for one.
 */
export class MessageIndexes1796000000003 implements MigrationInterface {
  name = 'MessageIndexes1796000000003';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX IF NOT EXISTS dl_messages_project_created ON dl_messages (project_id, created_at, id)`);
    await q.query(`CREATE INDEX IF NOT EXISTS dl_messages_item_created ON dl_messages (project_id, item_id, created_at, id) WHERE item_id IS NOT NULL`);
    await q.query(`CREATE INDEX IF NOT EXISTS dl_messages_created ON dl_messages (created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX dl_messages_project_created, dl_messages_item_created, dl_messages_created`);
  }
}

/**
 * Write-back stages (issue 13): a delivery whose 2xx response body holds annotations for the
 * item. Stored per delivery (not per message) because it is the stage's option, frozen like its
 * max attempts when the stage was entered.
 */
export class DeliveryWriteBack1796000000004 implements MigrationInterface {
  name = 'DeliveryWriteBack1796000000004';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE dl_deliveries ADD COLUMN IF NOT EXISTS write_back boolean NOT NULL DEFAULT false`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE dl_deliveries DROP COLUMN write_back`);
  }
}

/**
 * The W3C trace context a message was created in (the consumer span of its trigger event), so
 * every attempt, however late, continues the trace of the request that caused it. Null for
 * messages created before tracing.
 */
export class MessageTraceContext1796000000005 implements MigrationInterface {
  name = 'MessageTraceContext1796000000005';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE dl_messages ADD COLUMN traceparent text, ADD COLUMN tracestate text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE dl_messages DROP COLUMN traceparent, DROP COLUMN tracestate`);
  }
}

/**
 * The retry schedule a delivery was given when it was created (its endpoint's override or the
 * configured schedule), so a later change to either never reshapes a delivery halfway through.
 * Null for deliveries created before: they keep being scheduled as then, from the endpoint and
 * the config at each attempt. Timestamped after the event store's own migrations, which run in
 * the same database.
 */
export class DeliveryRetrySchedule1797200000000 implements MigrationInterface {
  name = 'DeliveryRetrySchedule1797200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE dl_deliveries ADD COLUMN IF NOT EXISTS retry_schedule_ms int[]`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE dl_deliveries DROP COLUMN retry_schedule_ms`);
  }
}

export const deliveryMigrations = [
  CreateDeliveryTables1796000000000,
  CreateItemTagsView1796000000001,
  OrderViewsByStreamVersion1796000000002,
  MessageIndexes1796000000003,
  DeliveryWriteBack1796000000004,
  MessageTraceContext1796000000005,
  DeliveryRetrySchedule1797200000000,
];
