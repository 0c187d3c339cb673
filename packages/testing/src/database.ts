import pg from 'pg';
import { testEnv } from './env.js';
import { madeBefore, uniqueName } from './names.js';

export interface TestDatabase {
  name: string;
  url: string;
  /** Drops the database, ending any connection still open to it. */
  drop(): Promise<void>;
}

function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: testEnv.pgAdminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A fresh, empty database for one test file. */
export async function createTestDatabase(prefix = 'test'): Promise<TestDatabase> {
  const name = uniqueName(`sh_${prefix}`).toLowerCase().slice(0, 63);
  await admin((c) => c.query(`CREATE DATABASE "${name}"`));
  return {
    name,
    url: withDatabase(testEnv.pgAdminUrl, name),
    drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}

/** Drops the test databases (`sh_…`, named by `uniqueName`) made before `before`: those of runs killed before their teardown. */
export async function sweepStaleDatabases(before: number): Promise<string[]> {
  return admin(async (c) => {
    const { rows } = await c.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE 'sh\\_%'`);
    const stale = rows.map((r) => r.datname).filter((name) => madeBefore(name, before));
    for (const name of stale) await c.query(`DROP DATABASE IF EXISTS ${c.escapeIdentifier(name)} WITH (FORCE)`);
    return stale;
  });
}
