import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from '@jest/globals';
import { TestReceiver, until } from '@stagehook/testing';
import { polygonAnnotations } from './support/annotations.js';
import { Platform } from './support/platform.js';

interface Workflow { workflowId: string; stages: { id: string; type: string }[] }
type Json = Record<string, unknown>;

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** `n` polygons with a bounding box each, as an annotator's tool would save them, 1,000 per request. */
async function annotate(call: ReturnType<Platform['client']>, itemId: string, n: number): Promise<number> {
  let version = 0;
  for (let start = 0; start < n; start += 1000) {
    const annotations = polygonAnnotations(start, Math.min(1000, n - start));
    const res = await call<{ version: number }>('items', 'POST', `/items/${itemId}/annotations/bulk`, { annotations });
    if (res.status !== 201) throw new Error(`bulk annotate → ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
    version = res.body.version;
  }
  return version;
}

/** Sets up an endpoint on the receiver, the template workflow and an item with `n` annotations in the webhook stage. */
async function itemInWebhookStage(platform: Platform, receiver: TestReceiver, n: number) {
  const call = platform.client('big-items');
  const ok = async <T = Json>(service: Parameters<typeof call>[0], method: string, path: string, body?: unknown): Promise<T> => {
    const res = await call<T>(service, method, path, body);
    if (res.status >= 300) throw new Error(`${method} ${service}${path} → ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const endpoint = await ok<{ id: string }>('webhooks', 'POST', '/endpoints', { name: 'counter', url: `${receiver.url}/stage`, includeAnnotations: true });
  const workflow = await ok<Workflow>('workflow', 'POST', '/workflows/template', { name: 'Big items', endpointId: endpoint.id, maxAttempts: 2 });
  const dataset = await ok<{ id: string }>('items', 'POST', '/datasets', { name: `Screws ${n}` });
  const { items } = await ok<{ items: { id: string }[] }>('items', 'POST', '/items', { datasetId: dataset.id, items: [{ name: `tray-${n}.jpg`, width: 1920, height: 1080 }] });
  const itemId = items[0].id;
  const version = await annotate(call, itemId, n);
  await ok('workflow', 'POST', `/workflows/${workflow.workflowId}/items`, { itemIds: [itemId] });
  await ok('workflow', 'POST', `/workflows/${workflow.workflowId}/items/${itemId}/start`, {});
  await ok('workflow', 'POST', `/workflows/${workflow.workflowId}/items/${itemId}/submit`, { itemVersion: version });
  const stage = (type: string) => workflow.stages.find((s) => s.type === type)!.id;
  const position = async () => (await ok<{ stageId: string }>('workflow', 'GET', `/workflows/${workflow.workflowId}/items/${itemId}`)).stageId;
  return { ok, itemId, version, workflow, stage, position };
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
    const { ok, itemId, version, stage, position } = await itemInWebhookStage(platform, receiver, 10_000);

    const [req] = await receiver.waitFor(1, '/stage', 120_000);
    const body = JSON.parse(req.body) as { data: { itemVersion: number; annotations: { annotations: unknown[] } } };
    expect(body.data.itemVersion).toBe(version);
    expect(body.data.annotations.annotations).toHaveLength(10_000);
    const exported = await ok<Json>('items', 'GET', `/items/${itemId}/darwin?version=${version}`);
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
    const { ok, itemId, workflow, stage, position } = await itemInWebhookStage(platform, receiver, 1_000);

    await until(async () => (await position()) === stage('review'), { timeoutMs: 60_000, message: 'routed to review through failed' });
    const { data } = await ok<{ data: { status: string; lastError?: string | null }[] }>('delivery', 'GET', `/deliveries?itemId=${itemId}&eventType=workflow.stage.entered`);
    expect(data).toHaveLength(1);
    expect(data[0].status).toBe('failed');
    expect(JSON.stringify(data[0])).toContain('payload_too_large');
    const { visits } = await ok<{ visits: { stageId: string }[] }>('workflow', 'GET', `/workflows/${workflow.workflowId}/items/${itemId}/history`);
    expect(JSON.stringify(visits.filter((v) => v.stageId === stage('webhook')))).toContain('failed');
    expect(receiver.received('/stage')).toHaveLength(0);
  });
});
