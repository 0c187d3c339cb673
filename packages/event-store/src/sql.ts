import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { DataSource, EntityManager } from 'typeorm';

/** The `pg` pool of TypeORM's PostgreSQL driver (typed `any` there). */
function poolOf(dataSource: DataSource): pg.Pool {
  const driver: object = dataSource.driver;
  if (!('master' in driver) || !driver.master) throw new Error('the event store needs a connected PostgreSQL data source');
  return driver.master as pg.Pool;
}

/**
 * The store's statements are a small fixed set (an append's text varies only with the expected
 * version, one event or several, and the projection statements joined to it), so each is a
 * named prepared statement: PostgreSQL parses and plans it once per connection instead of once
 * per append. Bounded, so that a caller producing unbounded texts cannot grow every
 * connection's statement cache: past the bound, texts not named yet run unnamed.
 */
const MAX_NAMED = 512;
const names = new Map<string, string>();

function nameOf(text: string): string | undefined {
  let name = names.get(text);
  if (name === undefined && names.size < MAX_NAMED) {
    name = `es_${createHash('sha1').update(text).digest('base64url').slice(0, 20)}`;
    names.set(text, name);
  }
  return name;
}

/**
 * Raw SQL on the connection of `manager`'s transaction when given, else on a pooled connection,
 * straight through `pg` as a prepared statement (see `nameOf`). Not through TypeORM's
 * `QueryRunner.query`: on the append path its per-call runner, logging and event broadcasting
 * were client work for no use here. Errors are pg's own (`code`, `constraint`), which every
 * caller reads as they read TypeORM's `driverError`.
 */
export async function sql<R>(dataSource: DataSource, manager: EntityManager | undefined, text: string, params: unknown[] = []): Promise<R[]> {
  const query: pg.QueryConfig = { text, values: params, name: nameOf(text) };
  const runner = manager?.queryRunner;
  // A transaction's runner is connected already: `connect` hands back its client.
  const client: pg.Pool | pg.PoolClient = runner ? ((await runner.connect()) as pg.PoolClient) : poolOf(dataSource);
  const res = await client.query<R & pg.QueryResultRow>(query);
  return res.rows;
}
