import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase, type TestDatabase } from '@stagehook/testing';
import { DataSource } from 'typeorm';
import { EndpointRepository } from '../src/persistence/endpoint.repository.js';
import { deliveryMigrations } from '../src/persistence/migrations.js';

/**
 * Failed attempts of one endpoint must not queue behind each other in PostgreSQL: an endpoint
 * that hangs or is down fails every attempt (up to ENDPOINT_CONCURRENCY at once, then every
 * refusal of its open breaker), and when each failure's transaction waited on the endpoint's row
 * for the one before, each held a pooled connection meanwhile, and intake and the healthy
 * endpoints' records waited for connections (the bench's hanging endpoint run at half rate).
 */
describe('endpoint failures', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let endpoints: EndpointRepository;

  beforeAll(async () => {
    db = await createTestDatabase('delivery_endpoint_failures');
    ds = new DataSource({ type: 'postgres', url: db.url, migrations: deliveryMigrations, migrationsRun: true });
    await ds.initialize();
    endpoints = new EndpointRepository(ds);
  });

  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  async function endpoint(id: string): Promise<void> {
    await ds.query(`INSERT INTO dl_endpoints (id, project_id, state, registry_active, registered) VALUES ($1, 'p', '{}'::jsonb, true, true)`, [id]);
  }

  it('a failure of an endpoint already failing does not wait for another failure still being recorded', async () => {
    await endpoint('ep-hanging');
    const since = await ds.transaction((m) => endpoints.recordFailure('ep-hanging', m));
    expect(since).toBeInstanceOf(Date);

    // Another attempt's failure, recorded but not yet committed.
    const other = ds.createQueryRunner();
    await other.connect();
    await other.startTransaction();
    try {
      expect(await endpoints.recordFailure('ep-hanging', other.manager)).toEqual(since);
      // Waiting on the other transaction's row lock would end in a lock timeout here.
      const again = await ds.transaction(async (m) => {
        await m.query(`SET LOCAL lock_timeout = '2s'`);
        return endpoints.recordFailure('ep-hanging', m);
      });
      expect(again).toEqual(since);
    } finally {
      await other.commitTransaction();
      await other.release();
    }
  });

  it('keeps when the failing began until a success, and starts again after it', async () => {
    await endpoint('ep-flaky');
    const first = await ds.transaction((m) => endpoints.recordFailure('ep-flaky', m));
    expect(first).toBeInstanceOf(Date);
    expect(await ds.transaction((m) => endpoints.recordFailure('ep-flaky', m))).toEqual(first);

    await ds.transaction((m) => endpoints.recordSuccess(['ep-flaky'], m));
    const [row] = await ds.query<{ failing_since: Date | null }[]>(`SELECT failing_since FROM dl_endpoints WHERE id = 'ep-flaky'`);
    expect(row.failing_since).toBeNull();

    const next = await ds.transaction((m) => endpoints.recordFailure('ep-flaky', m));
    expect(next).toBeInstanceOf(Date);
    expect(next!.getTime()).toBeGreaterThanOrEqual(first!.getTime());
  });

  it('answers null for an endpoint it does not know', async () => {
    expect(await ds.transaction((m) => endpoints.recordFailure('ep-unknown', m))).toBeNull();
  });
});
