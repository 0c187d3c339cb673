import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import { DEFAULT_HANDLED_RETENTION_MS, REDELIVERY_HORIZON_MS, RetentionJob, handledIdsRetention } from '../src/index.js';
import { until } from '@stagehook/testing';
import { metric, TestEnv } from './support.js';

const DAY = 86_400_000;

describe('retention of handled ids', () => {
  let env: TestEnv;

  beforeAll(async () => {
    env = await TestEnv.create('retention');
  });

  afterAll(async () => {
    await env.close();
  });

  async function handledAt(consumer: string, ageMs: number, n: number): Promise<void> {
    await env.ds.query(
      `INSERT INTO msg_handled (consumer, event_id, handled_at)
       SELECT $1, gen_random_uuid(), now() - $2::float8 * interval '1 millisecond' FROM generate_series(1, $3)`,
      [consumer, ageMs, n],
    );
  }

  it('keeps handled ids for a day past the redelivery horizon by default', () => {
    expect(REDELIVERY_HORIZON_MS).toBe(7 * DAY);
    expect(DEFAULT_HANDLED_RETENTION_MS).toBe(8 * DAY);
  });

  it('removes ids older than the window in bounded batches, keeps recent ones, and counts what it removed', async () => {
    const consumer = `c-${randomUUID().slice(0, 8)}`;
    await handledAt(consumer, 9 * DAY, 25);
    await handledAt(consumer, 7 * DAY, 4); // inside the window: an event still in its stream
    await handledAt(consumer, 60_000, 3);
    const metrics = new Registry();
    const statements: number[] = [];
    const task = handledIdsRetention(env.ds, DEFAULT_HANDLED_RETENTION_MS);
    const job = new RetentionJob({
      tasks: [
        {
          name: task.name,
          runBatch: async (limit) => {
            const n = await task.runBatch(limit);
            statements.push(n);
            return n;
          },
        },
      ],
      intervalMs: 60_000,
      batchSize: 10,
      pauseMs: 1,
      metrics,
    });
    expect(await job.runOnce()).toEqual({ msg_handled: 25 });
    // Never one huge delete: 10 + 10 + 5.
    expect(statements).toEqual([10, 10, 5]);
    const left: { n: number }[] = await env.ds.query(`SELECT count(*)::int AS n FROM msg_handled WHERE consumer = $1`, [consumer]);
    expect(left[0].n).toBe(7);
    expect(await metric(metrics, 'stagehook_retention_deleted_rows_total', { table: 'msg_handled' })).toBe(25);
    expect(await job.runOnce()).toEqual({ msg_handled: 0 });
  });

  it('runs periodically once started, and stops', async () => {
    const consumer = `c-${randomUUID().slice(0, 8)}`;
    await handledAt(consumer, 9 * DAY, 3);
    const job = new RetentionJob({ tasks: [handledIdsRetention(env.ds, DEFAULT_HANDLED_RETENTION_MS)], intervalMs: 50, batchSize: 100 });
    job.start();
    await until(async () => (await env.ds.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM msg_handled WHERE consumer = $1`, [consumer]))[0].n === 0, {
      message: 'old ids removed by the periodic run',
    });
    await job.stop();
  });

  it('goes on with the other tasks when one fails', async () => {
    const job = new RetentionJob({
      tasks: [
        { name: 'broken', runBatch: () => Promise.reject(new Error('relation "gone" does not exist')) },
        { name: 'fine', runBatch: () => Promise.resolve(2) },
      ],
      intervalMs: 60_000,
      batchSize: 10,
    });
    expect(await job.runOnce()).toEqual({ broken: 0, fine: 2 });
  });
});
