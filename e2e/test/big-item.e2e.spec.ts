import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from '@jest/globals';
import { ok, type DeliveryPage, type PositionView, type StagehookClient, type WorkflowView } from '@stagehook/sdk';
import { TestReceiver, until } from '@stagehook/testing';
import { polygonAnnotations } from './support/annotations.js';
import { Platform } from './support/platform.js';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** `n` polygons with a bounding box each, as an annotator's tool would save them, 1,000 per request. */
async function annotate(api: StagehookClient, itemId: string, n: number): Promise<number> {
  let version = 0;
  for (let start = 0; start < n; start += 1000) {
    // Darwin shapes come out of the OpenAPI document as empty objects: typed by contracts, not here.
    const annotations = polygonAnnotations(start, Math.min(1000, n - start)) as never;
    version = (await ok<{ version: number }>(api.items.POST('/items/{itemId}/annotations/bulk', { params: { path: { itemId } }, body: { annotations } }))).version;
  }
  return version;
}

/** Sets up an endpoint on the receiver, the template workflow and an item with `n` annotations in the webhook stage. */
async function itemInWebhookStage(platform: Platform, receiver: TestReceiver, n: number) {
  const api = platform.sdk('big-items');
  const endpoint = await ok(api.webhooks.POST('/endpoints', { body: { name: 'counter', url: `${receiver.url}/stage`, includeAnnotations: true } }));
  const workflow = await ok<WorkflowView>(api.workflow.POST('/workflows/template', { body: { name: 'Big items', endpointId: endpoint.id, maxAttempts: 2 } }));
  const id = workflow.workflowId;
  const dataset = await ok<{ id: string }>(api.items.POST('/datasets', { body: { name: `Screws ${n}` } }));
  const { items } = await ok<{ items: { id: string }[] }>(
    api.items.POST('/items', { body: { datasetId: dataset.id, items: [{ name: `tray-${n}.jpg`, width: 1920, height: 1080 }] } }),
  );
  const itemId = items[0].id;
  await annotate(api, itemId, n);
  await ok(api.workflow.POST('/workflows/{id}/items', { params: { path: { id } }, body: { itemIds: [itemId] } }));
  await ok(api.workflow.POST('/workflows/{id}/items/{itemId}/{command}', { params: { path: { id, itemId, command: 'start' } }, body: {} }));
  // Entering annotate sets the item in progress (items consumes the stage entry), one more
  // version: submit once it has, so the version the webhook entry freezes is known here.
  const item = () => ok<{ status: string; version: number }>(api.items.GET('/items/{itemId}', { params: { path: { itemId } } }));
  await until(async () => (await item()).status === 'in_progress', { timeoutMs: 60_000, message: 'in progress' });
  const { version } = await item();
  await ok(api.workflow.POST('/workflows/{id}/items/{itemId}/{command}', { params: { path: { id, itemId, command: 'submit' } }, body: { itemVersion: version } }));
  const stage = (type: string) => workflow.stages.find((s) => s.type === type)!.id;
  const position = async () => (await ok<PositionView>(api.workflow.GET('/workflows/{id}/items/{itemId}', { params: { path: { id, itemId } } }))).stageId;
  return { api, itemId, version, workflow, stage, position };
}

/**
 * Items of V7 users carry thousands of annotations; their Darwin export is several MiB, above
 * what one NATS message carries (1 MiB). Before the document store, the export's reply crashed
 * the items service and the stage entry was retried until it was dead-lettered: no delivery, no
 * outcome, the item stuck in its webhook stage.
 */
describe('an item with 10,000 annotations through a webhook stage', () => {
  let platform: Platform | undefined;
  let receiver: TestReceiver | undefined;
  afterAll(async () => {
    await platform?.stop();
    await receiver?.close();
  });

  it('is delivered intact: the Darwin document the receiver got hashes like GET /items/:id/darwin?version=N', async () => {
    receiver = await TestReceiver.start();
    platform = await Platform.start({ env: { delivery: { DISPATCH_POLL_MS: '50' } } });
    const { api, itemId, version, stage, position } = await itemInWebhookStage(platform, receiver, 10_000);

    const [req] = await receiver.waitFor(1, '/stage', 120_000);
    const body = JSON.parse(req.body) as { data: { itemVersion: number; annotations: { annotations: unknown[] } } };
    expect(body.data.itemVersion).toBe(version);
    expect(body.data.annotations.annotations).toHaveLength(10_000);
    const exported = await ok<Record<string, unknown>>(api.items.GET('/items/{itemId}/darwin', { params: { path: { itemId }, query: { version } } }));
    expect(sha256(JSON.stringify(body.data.annotations))).toBe(sha256(JSON.stringify(exported)));
    expect(Buffer.byteLength(JSON.stringify(exported))).toBeGreaterThan(1024 * 1024);
    await until(async () => (await position()) === stage('review'), { timeoutMs: 60_000, message: 'routed to review through succeeded' });
  });
});

describe('an item whose Darwin export is above the bound', () => {
  let platform: Platform | undefined;
  let receiver: TestReceiver | undefined;
  afterAll(async () => {
    await platform?.stop();
    await receiver?.close();
  });

  it('fails its stage delivery at once with payload_too_large and takes the failed route', async () => {
    receiver = await TestReceiver.start();
    platform = await Platform.start({ env: { items: { DARWIN_EXPORT_MAX_BYTES: String(64 * 1024) }, delivery: { DISPATCH_POLL_MS: '50' } } });
    const { api, itemId, workflow, stage, position } = await itemInWebhookStage(platform, receiver, 1_000);

    await until(async () => (await position()) === stage('review'), { timeoutMs: 60_000, message: 'routed to review through failed' });
    const { data } = await ok<DeliveryPage>(api.delivery.GET('/deliveries', { params: { query: { itemId, eventType: 'workflow.stage.entered' } } }));
    expect(data).toHaveLength(1);
    expect(data[0].status).toBe('failed');
    expect(JSON.stringify(data[0])).toContain('payload_too_large');
    const { visits } = await ok<{ visits: { stageId: string }[] }>(
      api.workflow.GET('/workflows/{id}/items/{itemId}/history', { params: { path: { id: workflow.workflowId, itemId } } }),
    );
    expect(JSON.stringify(visits.filter((v) => v.stageId === stage('webhook')))).toContain('failed');
    expect(receiver.received('/stage')).toHaveLength(0);
  });
});
