import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TestReceiver } from '@stagehook/testing';
import { Webhook } from 'standardwebhooks';
import { Harness } from './support/harness.js';

const P = 'proj-published';
const TYPE = 'model.training.completed';

describe('events of custom types (webhook.event.published)', () => {
  const h = new Harness('published');
  let rx: TestReceiver;

  beforeAll(async () => {
    await h.setUp();
    rx = await TestReceiver.start();
    await h.boot();
  });

  afterAll(async () => {
    await h.tearDown();
    await rx.close();
  });

  it('delivers the payload as its own type, signed, to exact, wildcard and * subscribers of the project only', async () => {
    const exact = await h.registerEndpoint(P, `${rx.url}/exact`, { eventTypes: [TYPE] });
    await h.registerEndpoint(P, `${rx.url}/wild`, { eventTypes: ['model.*'] });
    await h.registerEndpoint(P, `${rx.url}/all`, { eventTypes: ['*'] });
    await h.registerEndpoint(P, `${rx.url}/items`, { eventTypes: ['item.*'] });
    await h.registerEndpoint(P, `${rx.url}/other-model`, { eventTypes: ['model.eval.*'] });
    await h.registerEndpoint('proj-elsewhere', `${rx.url}/elsewhere`, { eventTypes: ['*'] });
    // A filter applies to a custom payload that carries its field, as to a built-in one.
    await h.registerEndpoint(P, `${rx.url}/dataset-d9`, { eventTypes: [TYPE], filters: { datasetIds: ['d9'] } });

    const payload = { runId: 'run-1', accuracy: 0.93, datasetId: 'd1' };
    const occurredAt = '2026-11-30T12:00:00.000Z';
    const eventId = await h.publish(
      'webhook.event.published',
      { projectId: P, eventType: TYPE, schemaVersion: 1, payload, occurredAt, via: 'http', publishedBy: 'service:trainer' },
      P,
    );

    await rx.waitFor(1, '/exact');
    await rx.waitFor(1, '/wild');
    await rx.waitFor(1, '/all');
    const [req] = rx.received('/exact');
    const body = new Webhook(exact.secret).verify(req.body, req.headers as Record<string, string>);
    expect(body).toEqual({ type: TYPE, timestamp: occurredAt, data: payload });
    const messages = await h.query<{ event_type: string; trigger_event_id: string }>(`SELECT event_type, trigger_event_id FROM dl_messages WHERE project_id = $1`, [P]);
    expect(messages).toEqual([{ event_type: TYPE, trigger_event_id: eventId }]);
    // Everything the event reaches is written in the same transaction: the others got nothing.
    const deliveries = await h.query<{ n: number }>(`SELECT count(*)::int AS n FROM dl_deliveries`);
    expect(deliveries[0].n).toBe(3);
    expect(rx.received('/items')).toHaveLength(0);
    expect(rx.received('/other-model')).toHaveLength(0);
    expect(rx.received('/elsewhere')).toHaveLength(0);
    expect(rx.received('/dataset-d9')).toHaveLength(0);
  });
});
