import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Datasets are a plain table (they carry no lifecycle worth an event stream and nothing else
 * consumes their changes); `items_view` is the inline projection of the item streams, for
 * listing, filtering, project checks and the `head` RPC. It can be rebuilt from es_events.
 */
export class CreateItems1795500000000 implements MigrationInterface {
  name = 'CreateItems1795500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE datasets (
        id uuid PRIMARY KEY,
        project_id text NOT NULL,
        name text NOT NULL,
        slug text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT datasets_project_slug_uq UNIQUE (project_id, slug)
      )`);
    await q.query(`
      CREATE TABLE items_view (
        seq bigserial UNIQUE,
        id uuid PRIMARY KEY,
        project_id text NOT NULL,
        dataset_id uuid NOT NULL,
        name text NOT NULL,
        path text NOT NULL,
        status text NOT NULL,
        tags text[] NOT NULL DEFAULT '{}',
        annotation_count integer NOT NULL DEFAULT 0,
        metadata jsonb NOT NULL,
        slot jsonb NOT NULL,
        version integer NOT NULL,
        registered_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        -- Darwin bulk import matches items by name within a dataset.
        CONSTRAINT items_view_dataset_name_uq UNIQUE (dataset_id, name)
      )`);
    await q.query(`CREATE INDEX items_view_project_dataset_idx ON items_view (project_id, dataset_id, seq)`);
    await q.query(`CREATE INDEX items_view_tags_idx ON items_view USING gin (tags)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE items_view`);
    await q.query(`DROP TABLE datasets`);
  }
}

/**
 * Items have several named slots (item.registered version 2). `slots` holds them all; rows
 * written before hold the one image slot in `slot`, which becomes slot "0".
 */
export class AddItemSlots1796000000000 implements MigrationInterface {
  name = 'AddItemSlots1796000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE items_view ADD COLUMN slots jsonb`);
    await q.query(`UPDATE items_view SET slots = jsonb_build_array(jsonb_build_object('name', '0') || slot)`);
    await q.query(`ALTER TABLE items_view ALTER COLUMN slots SET NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE items_view DROP COLUMN slots`);
  }
}

/** Every migration of the items database, in order. */
/**
 * A project's name and slug (V7's team): the Darwin export's `source_info.team` names the project
 * by them, not by its id. A plain table like datasets: a profile, not an event-sourced aggregate.
 */
export class CreateProjects1797100000000 implements MigrationInterface {
  name = 'CreateProjects1797100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE items_projects (
        project_id text PRIMARY KEY,
        name text NOT NULL,
        slug text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        updated_by text NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE items_projects`);
  }
}

export const itemsMigrations = [CreateItems1795500000000, AddItemSlots1796000000000, CreateProjects1797100000000];
