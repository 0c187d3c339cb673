import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase, type TestDatabase } from '@stagehook/testing';
import { DataSource } from 'typeorm';
import { DeliveryQueue, type NewMessage } from '../src/persistence/delivery-queue.repository.js';
import { deliveryMigrations } from '../src/persistence/migrations.js';

/**
 * The retry policy a delivery is created with is stored on it and comes back with its claim, so
 * the dispatcher follows it whatever the endpoint or the config say later.
 */
describe('delivery queue: stored retry policies', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let queue: DeliveryQueue;

  beforeAll(async () => {
    db = await createTestDatabase('delivery_queue');
    ds = new DataSource({ type: 'postgres', url: db.url, migrations: deliveryMigrations, migrationsRun: true });
    await ds.initialize();
    queue = new DeliveryQueue(ds);
  });

  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  const message = (): NewMessage => ({ id: randomUUID(), projectId: 'p', eventType: 'item.status.changed', triggerEventId: randomUUID(), variant: 'event', body: '{}' });

  it('claims each delivery with the schedule and attempts it was created with', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    await ds.transaction((m) =>
      queue.createMessages(m, [
        {
          msg: message(),
          deliveries: [
            { id: a, endpointId: 'ep-a', schedule: 'standard', retryPolicy: { maxAttempts: 4, scheduleMs: [0, 2_000, 30_000] } },
            { id: b, endpointId: 'ep-b', schedule: 'stage', retryPolicy: { maxAttempts: 2, scheduleMs: [0, 1_000] } },
          ],
        },
      ]),
    );
    const claimed = await queue.claimDue('n1', 10, { atCapacity: [], breakerOpen: [], perEndpoint: 10 }, 60_000);
    const byId = new Map(claimed.map((c) => [c.id, c]));
    expect(byId.get(a)).toMatchObject({ maxAttempts: 4, retryScheduleMs: [0, 2_000, 30_000] });
    expect(byId.get(b)).toMatchObject({ maxAttempts: 2, retryScheduleMs: [0, 1_000] });
  });

  it('claims a delivery created before schedules were stored without one', async () => {
    const msg = message();
    await ds.query(`INSERT INTO dl_messages (id, project_id, event_type, trigger_event_id, variant, body) VALUES ($1, 'p', $2, $3, 'event', '{}')`, [
      msg.id,
      msg.eventType,
      msg.triggerEventId,
    ]);
    const id = randomUUID();
    await ds.query(
      `INSERT INTO dl_deliveries (id, message_id, endpoint_id, project_id, status, schedule, max_attempts, next_attempt_at) VALUES ($1, $2, 'ep-old', 'p', 'pending', 'standard', 8, now())`,
      [id, msg.id],
    );
    const claimed = await queue.claimDue('n1', 10, { atCapacity: [], breakerOpen: [], perEndpoint: 10 }, 60_000);
    expect(claimed.find((c) => c.id === id)).toMatchObject({ maxAttempts: 8, retryScheduleMs: null });
  });
});
