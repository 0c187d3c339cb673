import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The custom event-type catalogue read model (one row per project and type, folded state with
 * every schema version) and the publish idempotency keys (kept 24 h, see PublishKeys).
 */
export class WebhookEventTypes1796000000000 implements MigrationInterface {
  name = 'WebhookEventTypes1796000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE webhook_event_types (
        project_id text NOT NULL,
        name text NOT NULL,
        state jsonb NOT NULL,
        deprecated boolean NOT NULL,
        version integer NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (project_id, name)
      )`);
    await q.query(`
      CREATE TABLE webhook_publish_keys (
        project_id text NOT NULL,
        idempotency_key text NOT NULL,
        request_hash text NOT NULL,
        response jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (project_id, idempotency_key)
      )`);
    await q.query(`CREATE INDEX webhook_publish_keys_created_idx ON webhook_publish_keys (created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE webhook_publish_keys`);
    await q.query(`DROP TABLE webhook_event_types`);
  }
}
