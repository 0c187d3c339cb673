// Response bodies are untyped JSON (@stagehook/testing Json): reading their arrays is the point of these tests.
/* eslint-disable @typescript-eslint/no-unsafe-call */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { BusNamespace, newEvent, type CloudEvent } from '@stagehook/contracts';
import { DocumentStore } from '@stagehook/messaging';
import { bootService, type BootedService, connectTestNats, until } from '@stagehook/testing';
import { DataSource } from 'typeorm';
import * as platform from '@stagehook/platform';
import { itemsService } from './support.js';

/**
 * Write-back on the items side, over real PostgreSQL and NATS: delivery's `delivered` outcome
 * names a document of annotations in the bus's document store; items adds them to the item once,
 * however often the outcome arrives.
 */
describe('items applying a write-back stage response', () => {
  let nc: NatsConnection;
  let s: BootedService<NestExpressApplication>;
  let ns: BusNamespace;
  let datasetId: string;

  beforeAll(async () => {
    ({ nc } = await connectTestNats());
    s = await bootService(platform, itemsService);
    ns = new BusNamespace(s.namespace);
    datasetId = (await s.call('POST', '/datasets', { name: 'Inference' })).json.id as string;
  });

  afterAll(async () => {
    await s.close();
    await nc.drain();
  });

  it('adds the annotations once when the same delivery outcome arrives twice, and says so once', async () => {
    const itemId = (await s.call('POST', '/items', { datasetId, items: [{ name: 'road.jpg', width: 800, height: 600 }] })).json.items[0].id as string;
    const deliveryId = randomUUID();
    const annotations = [
      { id: randomUUID(), name: 'truck', slot_names: ['0'], bounding_box: { x: 5, y: 5, w: 50, h: 40 } },
      { id: randomUUID(), name: 'model-checked', tag: {} },
    ];
    const doc = await new DocumentStore(nc, ns).put(`writeback.${deliveryId}.1`, Buffer.from(JSON.stringify({ annotations })));
    const delivered = () =>
      newEvent(
        'delivery.webhook.delivered',
        {
          deliveryId,
          endpointId: 'ep-model',
          projectId: 'proj-a',
          triggerEventId: randomUUID(),
          triggerType: 'workflow.stage.entered',
          workflowId: 'wf-1',
          stageId: 'infer',
          visitId: 'visit-1',
          itemId,
          attempts: 1,
          lastStatusCode: 200,
          lastError: null,
          at: new Date().toISOString(),
          writeBack: { document: doc.name, bytes: doc.bytes, annotations: annotations.length },
        },
        { source: 'delivery', projectId: 'proj-a' },
      );
    const js = jetstream(nc);
    const publish = async (e: ReturnType<typeof delivered>) => {
      const ce = {
        specversion: '1.0',
        id: e.id,
        source: 'delivery',
        type: e.type,
        time: new Date().toISOString(),
        datacontenttype: 'application/json',
        dataschemaversion: 1,
        projectid: 'proj-a',
        data: e.data,
      };
      await js.publish(ns.subject('delivery.webhook.delivered'), JSON.stringify(ce));
    };
    const sql = async (q: string, params: unknown[]): Promise<unknown[]> => s.app.get(DataSource).query(q, params);

    const first = delivered();
    await publish(first);
    await until(async () => (await s.call('GET', `/items/${itemId}`)).json.annotationCount === 2, { timeoutMs: 30_000, message: 'annotations applied' });
    // The same outcome under a new event id (a republish), past the runner's idempotency record.
    const again = delivered();
    await publish(again);
    await until(async () => (await sql(`SELECT 1 FROM msg_handled WHERE event_id = $1`, [again.id])).length === 1, { timeoutMs: 30_000, message: 'redelivery handled' });

    const item = await s.call('GET', `/items/${itemId}?annotations=true`);
    expect(item.json.annotationCount).toBe(2);
    expect(item.json.tags).toEqual(['model-checked']);
    const history = await s.call('GET', `/items/${itemId}/history`);
    const applied = history.json.events.filter((e: CloudEvent) => e.type === 'item.writeback.applied');
    expect(applied).toHaveLength(1);
    expect(applied[0].data).toMatchObject({ deliveryId, visitId: 'visit-1', by: 'endpoint:ep-model', annotationIds: annotations.map((a) => a.id), itemVersion: 4 });
  }, 60_000);
});
