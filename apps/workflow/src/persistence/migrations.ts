import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Read models of the workflow service. All of them are projections of the event store (inline,
 * rebuilt with `EventStore.rebuildProjection`), except the endpoint status, which mirrors the
 * registry's events.
 */
export class CreateWorkflowReadModels1795470000000 implements MigrationInterface {
  name = 'CreateWorkflowReadModels1795470000000';

  async up(qr: QueryRunner): Promise<void> {
    // One row per definition version: items in flight keep reading the version they started on.
    await qr.query(`
      CREATE TABLE wf_definitions (
        workflow_id text        NOT NULL,
        version     int         NOT NULL,
        project_id  text        NOT NULL,
        name        text        NOT NULL,
        stages      jsonb       NOT NULL,
        created_at  timestamptz NOT NULL,
        CONSTRAINT wf_definitions_pk PRIMARY KEY (workflow_id, version)
      )`);
    await qr.query(`CREATE INDEX wf_definitions_project_idx ON wf_definitions (project_id, workflow_id)`);

    // Where each item is now.
    await qr.query(`
      CREATE TABLE wf_item_positions (
        workflow_id      text        NOT NULL,
        item_id          text        NOT NULL,
        project_id       text        NOT NULL,
        workflow_version int         NOT NULL,
        stage_id         text        NOT NULL,
        stage_type       text        NOT NULL,
        stage_name       text        NOT NULL,
        visit_id         text        NOT NULL,
        item_version     int         NOT NULL,
        entered_at       timestamptz NOT NULL,
        completed        boolean     NOT NULL DEFAULT false,
        CONSTRAINT wf_item_positions_pk PRIMARY KEY (workflow_id, item_id)
      )`);
    await qr.query(`CREATE INDEX wf_item_positions_stage_idx ON wf_item_positions (workflow_id, stage_id)`);
    // "Waiting in a webhook stage longer than X" scans only webhook rows, oldest first.
    await qr.query(`CREATE INDEX wf_item_positions_webhook_idx ON wf_item_positions (project_id, entered_at) WHERE stage_type = 'webhook'`);

    // Every stage visit: an item's history.
    await qr.query(`
      CREATE TABLE wf_visits (
        visit_id     text        PRIMARY KEY,
        workflow_id  text        NOT NULL,
        item_id      text        NOT NULL,
        project_id   text        NOT NULL,
        stage_id     text        NOT NULL,
        stage_type   text        NOT NULL,
        stage_name   text        NOT NULL,
        item_version int         NOT NULL,
        entered_at   timestamptz NOT NULL,
        seq          bigint      NOT NULL,
        left_at      timestamptz,
        edge         text,
        to_stage_id  text,
        left_by      text,
        reason       text,
        delivery_id  text
      )`);
    await qr.query(`CREATE INDEX wf_visits_item_idx ON wf_visits (workflow_id, item_id, seq)`);

    await qr.query(`
      CREATE TABLE wf_endpoint_status (
        endpoint_id text        PRIMARY KEY,
        project_id  text        NOT NULL,
        status      text        NOT NULL CHECK (status IN ('active', 'disabled', 'deleted')),
        reason      text,
        changed_at  timestamptz NOT NULL
      )`);
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.query(`DROP TABLE wf_endpoint_status, wf_visits, wf_item_positions, wf_definitions`);
  }
}

/**
 * Which endpoint a waiting webhook visit depends on, so disabling it can route those visits; and
 * endpoint status per project, so an event naming another project's endpoint id never affects
 * this project's stages.
 */
export class AddPositionWebhookEndpoint1795470000001 implements MigrationInterface {
  name = 'AddPositionWebhookEndpoint1795470000001';

  async up(qr: QueryRunner): Promise<void> {
    await qr.query(`ALTER TABLE wf_item_positions ADD COLUMN webhook_endpoint_id text`);
    await qr.query(`CREATE INDEX wf_item_positions_endpoint_idx ON wf_item_positions (webhook_endpoint_id) WHERE stage_type = 'webhook'`);
    await qr.query(`ALTER TABLE wf_endpoint_status DROP CONSTRAINT wf_endpoint_status_pkey, ADD CONSTRAINT wf_endpoint_status_pk PRIMARY KEY (project_id, endpoint_id)`);
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.query(`ALTER TABLE wf_endpoint_status DROP CONSTRAINT wf_endpoint_status_pk, ADD PRIMARY KEY (endpoint_id)`);
    await qr.query(`ALTER TABLE wf_item_positions DROP COLUMN webhook_endpoint_id`);
  }
}

/** Parked visits: the endpoint they wait on and why, so a re-enabled endpoint can resume them. */
export class AddPositionParked1795470000002 implements MigrationInterface {
  name = 'AddPositionParked1795470000002';

  async up(qr: QueryRunner): Promise<void> {
    await qr.query(`ALTER TABLE wf_item_positions ADD COLUMN parked_on text, ADD COLUMN parked_reason text, ADD COLUMN parked_at timestamptz`);
    await qr.query(`CREATE INDEX wf_item_positions_parked_idx ON wf_item_positions (project_id, parked_on) WHERE parked_on IS NOT NULL`);
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.query(`ALTER TABLE wf_item_positions DROP COLUMN parked_on, DROP COLUMN parked_reason, DROP COLUMN parked_at`);
  }
}

/**
 * Dataset-bound workflows (V7's dataset stage): which workflow a dataset feeds, and since when
 * (items registered earlier are not pulled in). The primary key is the rule "a dataset feeds at
 * most one workflow", held even when two saves race.
 */
export class AddDatasetBindings1795470000003 implements MigrationInterface {
  name = 'AddDatasetBindings1795470000003';

  async up(qr: QueryRunner): Promise<void> {
    await qr.query(`
      CREATE TABLE IF NOT EXISTS wf_dataset_bindings (
        project_id text NOT NULL,
        dataset_id text NOT NULL,
        workflow_id text NOT NULL,
        bound_at timestamptz NOT NULL,
        PRIMARY KEY (project_id, dataset_id)
      )`);
    await qr.query(`CREATE INDEX IF NOT EXISTS wf_dataset_bindings_workflow_idx ON wf_dataset_bindings (workflow_id)`);
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.query(`DROP TABLE wf_dataset_bindings`);
  }
}

export const workflowMigrations = [CreateWorkflowReadModels1795470000000, AddPositionWebhookEndpoint1795470000001, AddPositionParked1795470000002, AddDatasetBindings1795470000003];
