import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../src/database.js';
import { testEnv } from '../src/env.js';
import { connectTestNats, deleteNamespace } from '../src/nats.js';
import { uniqueName } from '../src/names.js';
import { sweepStaleTestResources } from '../src/sweep.js';

/** A name as uniqueName made it `ageMs` ago. */
const madeAgo = (prefix: string, ageMs: number) => `${prefix}_t${(Date.now() - ageMs).toString(36)}_${randomBytes(4).toString('hex')}`;
const HOUR = 3600_000;

describe('sweepStaleTestResources', () => {
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const stale = madeAgo('sweep', 5 * HOUR);
  const fresh = uniqueName('sweep');
  // Another tool's name of the same shape, without uniqueName's marker.
  const other = `sweep_${(Date.now() - 5 * HOUR).toString(36)}_${randomBytes(4).toString('hex')}`;
  const staleDb = madeAgo('sh_sweep', 5 * HOUR).toLowerCase();
  let freshDb: TestDatabase;

  const admin = async (sql: string) => {
    const c = new pg.Client({ connectionString: testEnv.pgAdminUrl });
    await c.connect();
    try {
      return (await c.query<{ datname: string }>(sql)).rows;
    } finally {
      await c.end();
    }
  };
  const streams = async () => {
    const out: string[] = [];
    for await (const n of jsm.streams.names()) out.push(n);
    return out;
  };

  beforeAll(async () => {
    ({ nc, jsm } = await connectTestNats('sweep-test'));
    for (const [ns, subject] of [
      [stale, 'a'],
      [fresh, 'b'],
      [other, 'c'],
    ])
      await jsm.streams.add({ name: `${ns}_ITEMS`, subjects: [`${ns}.${subject}.>`], max_bytes: 1024 * 1024 });
    await jsm.streams.add({ name: `OBJ_${stale}_documents`, subjects: [`$O.${stale}_documents.>`], max_bytes: 1024 * 1024 });
    await admin(`CREATE DATABASE "${staleDb}"`);
    freshDb = await createTestDatabase('sweep');
  });

  afterAll(async () => {
    for (const ns of [stale, fresh, other]) await deleteNamespace(jsm, ns);
    await admin(`DROP DATABASE IF EXISTS "${staleDb}" WITH (FORCE)`);
    await freshDb?.drop();
    await nc.drain();
  });

  it("removes what killed runs left hours ago, and neither a run's that is still going nor anything not named by uniqueName", async () => {
    // What is left, not what this call returned: another run's sweep on the same servers may
    // have removed the stale ones first.
    await sweepStaleTestResources(3 * HOUR);
    const left = await streams();
    expect(left).not.toContain(`${stale}_ITEMS`);
    expect(left).not.toContain(`OBJ_${stale}_documents`);
    expect(left).toEqual(expect.arrayContaining([`${fresh}_ITEMS`, `${other}_ITEMS`]));
    const dbs = (await admin(`SELECT datname FROM pg_database`)).map((r) => r.datname);
    expect(dbs).not.toContain(staleDb);
    expect(dbs).toContain(freshDb.name);
  });
});
