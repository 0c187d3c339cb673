import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One snapshot per stream: the state a decider folded up to `stream_version`, as its
 * `toSnapshot` wrote it. `snapshot_version` is the decider's snapshot version: a row written by
 * another version is ignored on load and replaced by the next write, so changing `evolve` never
 * needs a data migration here. `json`, not `jsonb`: the row is only ever written and read whole,
 * and a large item's state parses faster as text.
 */
export class EventStoreSnapshots1797000000000 implements MigrationInterface {
  name = 'EventStoreSnapshots1797000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE es_snapshots (
        stream_id text PRIMARY KEY,
        snapshot_version integer NOT NULL,
        stream_version integer NOT NULL CHECK (stream_version >= 1),
        state json NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE es_snapshots`);
  }
}
