import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { DeliveryReadRepository } from '../src/persistence/delivery-read.repository.js';
import { EndpointReadRepository } from '../src/persistence/endpoint-read.repository.js';
import { Harness } from './support/harness.js';

/**
 * What the autoscaler and the alerts read (deploy/k8s, deploy/prometheus): the due part of the
 * retry queue and the endpoints delivery disabled itself. Rows are written directly, with the
 * service stopped, so no dispatcher claims them while the test counts.
 */
describe('queue and endpoint gauges', () => {
  const h = new Harness('queue_metrics');
  let ds: DataSource;

  beforeAll(async () => {
    await h.setUp();
    const app = await h.boot();
    await app.close(); // migrations ran; nothing claims from here on
    ds = new DataSource({ type: 'postgres', url: h.db.url });
    await ds.initialize();
  });

  afterAll(async () => {
    await ds?.destroy();
    await h.tearDown();
  });

  it('counts as due only pending deliveries whose attempt is due and whose lease (if any) lapsed', async () => {
    const message = randomUUID();
    await h.query(`INSERT INTO dl_messages (id, project_id, event_type, trigger_event_id, variant, body) VALUES ($1, 'p', 'item.status.changed', $2, 'event', '{}')`, [
      message,
      randomUUID(),
    ]);
    const delivery = (endpoint: string, status: string, next: string, lockedUntil: string | null) =>
      h.query(
        `INSERT INTO dl_deliveries (id, message_id, endpoint_id, project_id, status, schedule, max_attempts, next_attempt_at, locked_until, locked_by)
         VALUES ($1, $2, $3, 'p', $4, 'standard', 8, now() + $5::interval, now() + $6::interval, CASE WHEN $6::interval IS NULL THEN NULL ELSE 'other-node' END)`,
        [randomUUID(), message, endpoint, status, next, lockedUntil],
      );
    await delivery('due', 'pending', '-1 second', null);
    await delivery('due-lease-lapsed', 'pending', '-1 second', '-1 second');
    await delivery('leased', 'pending', '-1 second', '1 minute');
    await delivery('later', 'pending', '1 hour', null);
    await delivery('done', 'delivered', '-1 second', null);
    expect(await new DeliveryReadRepository(ds).queueStats()).toMatchObject({ pending: 4, due: 2 });
  });

  it('counts the endpoints delivery disabled, not re-enabled ones or deleted ones', async () => {
    const endpoint = (id: string, disabled: boolean, deleted: boolean) =>
      h.query(`INSERT INTO dl_endpoints (id, project_id, state, registry_active, deleted, disabled_at) VALUES ($1, 'p', '{}', true, $2, CASE WHEN $3 THEN now() ELSE NULL END)`, [
        id,
        deleted,
        disabled,
      ]);
    await endpoint('ep-ok', false, false);
    await endpoint('ep-disabled', true, false);
    await endpoint('ep-disabled-deleted', true, true);
    expect(await new EndpointReadRepository(ds).countDisabled()).toBe(1);
  });
});
