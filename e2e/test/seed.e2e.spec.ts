import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { answer, TestReceiver, until, type RecordedRequest } from '@stagehook/testing';
import { Webhook } from 'standardwebhooks';
import { Platform } from './support/platform.js';

interface Endpoint { id: string }
interface Workflow { workflowId: string; stages: { id: string; type: string }[] }
interface Position { stageId: string }
interface Delivery { id: string; status: string }
interface Visit { stageId: string; visitId: string }
interface Darwin { version: string; item: { name: string }; annotations: { name: string }[] }
interface WebhookBody { type: string; data: Record<string, unknown> & { itemId?: string; itemVersion?: number; annotations?: Darwin } }
type Json = Record<string, unknown>;

/**
 * The seed scenario and the Hasty scenario across the four services, as a user drives them:
 * HTTP only, a real receiver, signatures checked with the reference implementation.
 */
describe('Stagehook end to end', () => {
  let platform: Platform;
  let receiver: TestReceiver;
  let call: ReturnType<Platform['client']>;
  const projectId = 'e2e-project';

  beforeAll(async () => {
    receiver = await TestReceiver.start();
    // Quick stage retries so the failed route is reached in seconds.
    platform = await Platform.start({ env: { delivery: { STAGE_RETRY_SCHEDULE_MS: '0,200,400', DISPATCH_POLL_MS: '50' } } });
    call = platform.client(projectId);
  });

  afterAll(async () => {
    await platform?.stop();
    await receiver?.close();
  });

  async function ok<T = Json>(service: Parameters<typeof call>[0], method: string, path: string, body?: unknown, status = [200, 201, 202]): Promise<T> {
    const res = await call<T>(service, method, path, body);
    if (!status.includes(res.status)) throw new Error(`${method} ${service}${path} → ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  function verified(req: RecordedRequest, secret: string): WebhookBody {
    return new Webhook(secret).verify(req.body, {
      'webhook-id': String(req.headers['webhook-id']),
      'webhook-timestamp': String(req.headers['webhook-timestamp']),
      'webhook-signature': String(req.headers['webhook-signature']),
    }) as WebhookBody;
  }

  let stageEndpoint: Endpoint;
  let stageSecret: string;
  let workflow: Workflow;
  let dataset: Endpoint;
  const stage = (type: string): string => workflow.stages.find((s) => s.type === type)!.id;
  const position = async (itemId: string): Promise<Position> => ok<Position>('workflow', 'GET', `/workflows/${workflow.workflowId}/items/${itemId}`);

  it('sets up an endpoint with an authorization header, the seed workflow and a dataset', async () => {
    stageEndpoint = await ok<Endpoint>('webhooks', 'POST', '/endpoints', {
      name: 'QA receiver',
      url: `${receiver.url}/stage`,
      authorization: 'Bearer receiver-secret-token',
      includeAnnotations: true,
    });
    stageSecret = (await ok<{ secret: string }>('webhooks', 'POST', `/endpoints/${stageEndpoint.id}/secret/reveal`)).secret;
    expect(stageSecret).toMatch(/^whsec_/);
    workflow = await ok<Workflow>('workflow', 'POST', '/workflows/template', { name: 'Seed', endpointId: stageEndpoint.id, maxAttempts: 3 });
    expect(workflow.stages.map((s) => s.type)).toEqual(['dataset', 'annotate', 'webhook', 'review', 'complete']);
    dataset = await ok<Endpoint>('items', 'POST', '/datasets', { name: 'Screws' });
  });

  it('the test button sends a signed ping to the endpoint and shows the response', async () => {
    receiver.clear();
    const ping = await ok<{ statusCode: number }>('webhooks', 'POST', `/endpoints/${stageEndpoint.id}/test`);
    expect(ping.statusCode).toBe(200);
    const [req] = await receiver.waitFor(1, '/stage');
    expect(verified(req, stageSecret).type).toBe('webhook.test');
    expect(req.headers.authorization).toBe('Bearer receiver-secret-token');
  });

  it('sends the item with its Darwin JSON as it was when it entered the webhook stage, then routes it to review', async () => {
    receiver.clear();
    const { items } = await ok<{ items: Endpoint[] }>('items', 'POST', '/items', {
      datasetId: dataset.id,
      items: [{ name: 'box-1.jpg', width: 1920, height: 1080, metadata: { expected_annotations: 2 } }],
    });
    const item = items[0];
    await ok('workflow', 'POST', `/workflows/${workflow.workflowId}/items`, { itemIds: [item.id] });
    await ok('workflow', 'POST', `/workflows/${workflow.workflowId}/items/${item.id}/start`, {});
    // The annotator saves and submits at once: the saved annotation must be in the payload.
    const saved = await ok<{ version: number }>('items', 'POST', `/items/${item.id}/annotations/bulk`, {
      annotations: [
        { name: 'screw', bounding_box: { x: 10, y: 20, w: 30, h: 40 } },
        { name: 'washer', polygon: { paths: [[{ x: 1, y: 1 }, { x: 9, y: 1 }, { x: 9, y: 9 }]] } },
      ],
    });
    await ok('workflow', 'POST', `/workflows/${workflow.workflowId}/items/${item.id}/submit`, {});

    const [req] = await receiver.waitFor(1, '/stage', 30_000);
    const body = verified(req, stageSecret);
    expect(req.headers.authorization).toBe('Bearer receiver-secret-token');
    expect(body.type).toBe('workflow.stage.entered');
    expect(body.data).toMatchObject({ itemId: item.id, workflowId: workflow.workflowId, stageId: stage('webhook') });
    expect(body.data.itemVersion).toBeGreaterThanOrEqual(saved.version);
    const darwin = body.data.annotations!;
    expect(darwin.version).toBe('2.0');
    expect(darwin.item.name).toBe('box-1.jpg');
    expect(darwin.annotations.map((a) => a.name).sort()).toEqual(['screw', 'washer']);

    // Edits after entry do not change what was frozen: a redelivery sends the same bytes.
    await ok('items', 'POST', `/items/${item.id}/annotations`, { name: 'late', keypoint: { x: 5, y: 5 } });
    await until(async () => (await position(item.id)).stageId === stage('review'), { timeoutMs: 30_000, message: 'item routed to review' });

    const { data: deliveries } = await ok<{ data: Delivery[] }>('delivery', 'GET', `/deliveries?itemId=${item.id}&eventType=workflow.stage.entered`);
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0].status).toBe('delivered');
    await ok('delivery', 'POST', `/deliveries/${deliveries[0].id}/redeliver`);
    const [, again] = await receiver.waitFor(2, '/stage', 30_000);
    expect(again.headers['webhook-id']).toBe(req.headers['webhook-id']);
    expect(again.body).toBe(req.body);
  });

  it('retries a 500 and, when the attempts run out, takes the failed route to review; a reject sends it round again', async () => {
    receiver.clear();
    const { items } = await ok<{ items: Endpoint[] }>('items', 'POST', '/items', { datasetId: dataset.id, items: [{ name: 'box-2.jpg', width: 800, height: 600 }] });
    const item = items[0];
    await ok('workflow', 'POST', `/workflows/${workflow.workflowId}/items`, { itemIds: [item.id] });
    await ok('workflow', 'POST', `/workflows/${workflow.workflowId}/items/${item.id}/start`, {});

    // First visit: one 500, then success on the retry.
    receiver.next('/stage', answer.status(500));
    await ok('workflow', 'POST', `/workflows/${workflow.workflowId}/items/${item.id}/submit`, {});
    await until(async () => (await position(item.id)).stageId === stage('review'), { timeoutMs: 30_000, message: 'first visit routed' });
    const first = receiver.received('/stage');
    expect(first.map((r) => r.answered)).toEqual([500, 200]);
    expect(new Set(first.map((r) => r.headers['webhook-id'])).size).toBe(1);

    // Reject back to annotate; the second visit always gets 500 and fails after 3 attempts.
    await ok('workflow', 'POST', `/workflows/${workflow.workflowId}/items/${item.id}/reject`, {});
    expect((await position(item.id)).stageId).toBe(stage('annotate'));
    receiver.clear();
    receiver.setDefault(answer.status(500), '/stage');
    await ok('workflow', 'POST', `/workflows/${workflow.workflowId}/items/${item.id}/submit`, {});
    await until(async () => (await position(item.id)).stageId === stage('review'), { timeoutMs: 30_000, message: 'failed route to review' });
    receiver.reset();
    expect(receiver.received('/stage')).toHaveLength(3);

    const { visits } = await ok<{ visits: Visit[] }>('workflow', 'GET', `/workflows/${workflow.workflowId}/items/${item.id}/history`);
    const webhookVisits = visits.filter((v) => v.stageId === stage('webhook'));
    expect(webhookVisits).toHaveLength(2);
    expect(webhookVisits[0].visitId).not.toBe(webhookVisits[1].visitId);
    expect(JSON.stringify(webhookVisits[1])).toContain('failed');

    await ok('workflow', 'POST', `/workflows/${workflow.workflowId}/items/${item.id}/approve`, {});
    expect((await position(item.id)).stageId).toBe(stage('complete'));
  });

  it("a status change triggers the subscribed endpoint with the item, its dataset's name and slug, and the old and new status (Hasty)", async () => {
    receiver.clear();
    const statusEndpoint = await ok<Endpoint>('webhooks', 'POST', '/endpoints', { name: 'status', url: `${receiver.url}/status`, eventTypes: ['item.status.changed'] });
    const { secret } = await ok<{ secret: string }>('webhooks', 'POST', `/endpoints/${statusEndpoint.id}/secret/reveal`);
    const { items } = await ok<{ items: Endpoint[] }>('items', 'POST', '/items', { datasetId: dataset.id, items: [{ name: 'box-3.jpg', width: 800, height: 600 }] });
    const item = items[0];
    // The delivery service learns of the new endpoint from the bus; a status change after that is sent.
    await until(async () => (await call('delivery', 'GET', `/endpoints/${statusEndpoint.id}/circuit`)).status === 200, { timeoutMs: 15_000, message: 'delivery knows the endpoint' });
    await ok('items', 'POST', `/items/${item.id}/status`, { to: 'in_progress', changedBy: 'alice@example.com', reason: 'picked up' });

    const reqs = await until(() => {
      const mine = receiver.received('/status').filter((r) => verified(r, secret).data.itemId === item.id);
      return mine.length > 0 ? mine : undefined;
    }, { timeoutMs: 30_000, message: 'status webhook' });
    const body = verified(reqs[0], secret);
    expect(body.type).toBe('item.status.changed');
    expect(body.data).toMatchObject({
      itemId: item.id,
      itemName: 'box-3.jpg',
      datasetId: dataset.id,
      dataset: { id: dataset.id, name: 'Screws', slug: 'screws' },
      oldStatus: 'new',
      newStatus: 'in_progress',
      changedBy: 'alice@example.com',
      reason: 'picked up',
      projectId,
    });
  });

  it("another project's token sees none of it", async () => {
    const other = platform.client('someone-else');
    expect((await other('webhooks', 'GET', `/endpoints/${stageEndpoint.id}`)).status).toBe(404);
    expect((await other('workflow', 'GET', `/workflows/${workflow.workflowId}`)).status).toBe(404);
    expect((await other('items', 'GET', `/datasets/${dataset.id}`)).status).toBe(404);
  });
});
