import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { loadConfig, RetentionHost } from '@stagehook/platform';
import { DeliveryConfig } from '../src/config.js';
import { Harness } from './support/harness.js';

const P = 'proj-retention';
const DAY = 86_400_000;

describe('retention', () => {
  const h = new Harness('retention');
  let app: NestExpressApplication;

  beforeAll(async () => {
    await h.setUp();
    app = await h.boot({ RETENTION_BATCH: '2' });
  });

  afterAll(async () => {
    await h.tearDown();
  });

  /** A message `ageMs` old with deliveries of the given statuses; pending ones are due only tomorrow (the dispatcher leaves them). */
  async function message(ageMs: number, statuses: ('pending' | 'delivered' | 'failed')[]): Promise<{ id: string; deliveries: string[] }> {
    const id = randomUUID();
    await h.query(
      `INSERT INTO dl_messages (id, project_id, event_type, trigger_event_id, variant, body, created_at)
       VALUES ($1, $2, 'item.status.changed', $3, 'event', '{}', now() - $4::float8 * interval '1 millisecond')`,
      [id, P, randomUUID(), ageMs],
    );
    const deliveries: string[] = [];
    for (const [i, status] of statuses.entries()) {
      const d = randomUUID();
      deliveries.push(d);
      await h.query(
        `INSERT INTO dl_deliveries (id, message_id, endpoint_id, project_id, status, schedule, attempts, max_attempts, next_attempt_at, created_at, completed_at)
         VALUES ($1, $2, $3, $4, $5, 'standard', 1, 8, now() + interval '1 day', now() - $6::float8 * interval '1 millisecond',
                 CASE WHEN $5 = 'pending' THEN NULL ELSE now() - $6::float8 * interval '1 millisecond' END)`,
        [d, id, `ep_${i}`, P, status, ageMs],
      );
    }
    return { id, deliveries };
  }

  async function attempt(deliveryId: string, n: number, ageMs: number): Promise<void> {
    await h.query(
      `INSERT INTO dl_attempts (delivery_id, n, started_at, duration_ms, status_code, request_headers, sent_by)
       VALUES ($1, $2, now() - $3::float8 * interval '1 millisecond', 12, 200, '{}', 'test')`,
      [deliveryId, n, ageMs],
    );
  }

  const count = async (sql: string, args: unknown[]) => (await h.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`, args))[0].n;

  it('removes messages past 30 days whose deliveries are final, with their deliveries and attempts; keeps pending and recent ones; trims old attempts', async () => {
    const oldFinal = await Promise.all([message(31 * DAY, ['delivered', 'failed']), message(31 * DAY, ['delivered']), message(32 * DAY, ['failed'])]);
    const oldPending = await message(31 * DAY, ['delivered', 'pending']);
    const recent = await message(2 * DAY, ['delivered']);
    // Written in time order, as the dispatcher writes them.
    for (const m of oldFinal) for (const d of m.deliveries) await attempt(d, 1, 31 * DAY);
    await attempt(recent.deliveries[0], 1, 31 * DAY); // an attempt past its window on a message that is not
    await attempt(oldPending.deliveries[1], 1, 3 * DAY);
    await attempt(recent.deliveries[0], 2, DAY);

    const job = app.get(RetentionHost).job;
    expect(job.tasks).toEqual(['msg_handled', 'dl_messages', 'dl_attempts']);
    const removed = await job.runOnce();
    expect(removed).toMatchObject({ dl_messages: 3, dl_attempts: 1 });

    expect(await count(`dl_messages WHERE id = ANY($1::uuid[])`, [oldFinal.map((m) => m.id)])).toBe(0);
    expect(await count(`dl_deliveries WHERE message_id = ANY($1::uuid[])`, [oldFinal.map((m) => m.id)])).toBe(0);
    expect(await count(`dl_messages WHERE id = ANY($1::uuid[])`, [[oldPending.id, recent.id]])).toBe(2);
    expect(await count(`dl_deliveries WHERE message_id = $1`, [oldPending.id])).toBe(2);
    expect(await h.query(`SELECT n FROM dl_attempts WHERE delivery_id = $1 ORDER BY n`, [recent.deliveries[0]])).toEqual([{ n: 2 }]);
    expect(await count(`dl_attempts WHERE delivery_id = $1`, [oldPending.deliveries[1]])).toBe(1);

    const metrics = h.url(app, '/metrics');
    const text = await (await fetch(metrics)).text();
    expect(text).toMatch(/stagehook_retention_deleted_rows_total\{table="dl_messages"[^}]*\} 3/);
  });

  it('serves the message list from an index, already sorted (no scan of every message)', async () => {
    const client = await h.pool.connect();
    const plan = async (extra: string, args: unknown[]) => {
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN SELECT m.id, m.event_type, m.body, m.created_at FROM dl_messages m WHERE m.project_id = $1 ${extra} ORDER BY m.created_at, m.id LIMIT 50`,
        [P, ...args],
      );
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    };
    // Tiny tables make a sequential scan cheapest; forbid it to see which index the planner has.
    await client.query(`SET enable_seqscan = off`);
    try {
      const byProject = await plan('', []);
      expect(byProject).toMatch(/Index (Only )?Scan using dl_messages_project_created/);
      expect(byProject).not.toMatch(/Sort/);
      expect(await plan(`AND m.item_id = $2`, ['it_1'])).toMatch(/dl_messages_item_created/);
      expect(await plan(`AND (m.created_at, m.id) > (now(), $2::uuid)`, [randomUUID()])).toMatch(/Index Cond: .*project_id/);
    } finally {
      await client.query(`RESET enable_seqscan`);
      client.release();
    }
  });

  it('refuses at boot a handled-id window inside the redelivery horizon, and message or attempt windows under a day', () => {
    expect(() => loadConfig(DeliveryConfig, h.env({ HANDLED_RETENTION_MS: String(DAY) }))).toThrow(/HANDLED_RETENTION_MS/);
    expect(() => loadConfig(DeliveryConfig, h.env({ RETENTION_MESSAGES_MS: '1000' }))).toThrow(/RETENTION_MESSAGES_MS/);
    expect(() => loadConfig(DeliveryConfig, h.env({ RETENTION_ATTEMPTS_MS: '1000' }))).toThrow(/RETENTION_ATTEMPTS_MS/);
    expect(loadConfig(DeliveryConfig, h.env()).RETENTION_MESSAGES_MS).toBe(30 * DAY);
  });
});
