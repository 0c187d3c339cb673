import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The endpoint read model: one row per live endpoint with its folded state (sealed secrets
 * included, so secrets are encrypted at rest here as in the event store). Rebuildable from the
 * events; deleted endpoints have no row.
 */
export class WebhookEndpoints1795470000000 implements MigrationInterface {
  name = 'WebhookEndpoints1795470000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE webhook_endpoints (
        endpoint_id text PRIMARY KEY,
        project_id text NOT NULL,
        state jsonb NOT NULL,
        version integer NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX webhook_endpoints_project_idx ON webhook_endpoints (project_id, created_at, endpoint_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE webhook_endpoints`);
  }
}
