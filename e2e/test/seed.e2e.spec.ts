import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ok, type DeliveryPage, type PositionView, type StagehookClient, type WorkflowView } from '@stagehook/sdk';
import { answer, TestReceiver, until, type RecordedRequest } from '@stagehook/testing';
import { Webhook } from 'standardwebhooks';
import { Platform } from './support/platform.js';

interface Visit {
  stageId: string;
  visitId: string;
}
interface Darwin {
  version: string;
  item: { name: string };
  annotations: { name: string }[];
}
interface WebhookBody {
  type: string;
  data: Record<string, unknown> & { itemId?: string; itemVersion?: number; annotations?: Darwin };
}

/**
 * The seed scenario and the Hasty scenario across the four services, as a user drives them:
 * HTTP only through the typed client (@stagehook/sdk), a real receiver, signatures checked with
 * the reference implementation.
 */
describe('Stagehook end to end', () => {
  let platform: Platform;
  let receiver: TestReceiver;
  let api: StagehookClient;
  const projectId = 'e2e-project';

  beforeAll(async () => {
    receiver = await TestReceiver.start();
    // Quick stage retries so the failed route is reached in seconds.
    platform = await Platform.start({ env: { delivery: { STAGE_RETRY_SCHEDULE_MS: '0,200,400', DISPATCH_POLL_MS: '50' } } });
    api = platform.sdk(projectId);
  });

  afterAll(async () => {
    await platform?.stop();
    await receiver?.close();
  });

  function verified(req: RecordedRequest, secret: string): WebhookBody {
    return new Webhook(secret).verify(req.body, {
      'webhook-id': String(req.headers['webhook-id']),
      'webhook-timestamp': String(req.headers['webhook-timestamp']),
      'webhook-signature': String(req.headers['webhook-signature']),
    }) as WebhookBody;
  }

  let stageEndpoint: { id: string };
  let stageSecret: string;
  let workflow: WorkflowView;
  let dataset: { id: string };
  const stage = (type: string): string => workflow.stages.find((s) => s.type === type)!.id;
  const position = (itemId: string) => ok<PositionView>(api.workflow.GET('/workflows/{id}/items/{itemId}', { params: { path: { id: workflow.workflowId, itemId } } }));
  const command = (itemId: string, cmd: 'start' | 'submit' | 'approve' | 'reject') =>
    ok(api.workflow.POST('/workflows/{id}/items/{itemId}/{command}', { params: { path: { id: workflow.workflowId, itemId, command: cmd } }, body: {} }));
  const addToWorkflow = (itemId: string) => ok(api.workflow.POST('/workflows/{id}/items', { params: { path: { id: workflow.workflowId } }, body: { itemIds: [itemId] } }));
  const register = async (name: string, width: number, height: number, metadata?: Record<string, unknown>) =>
    (await ok<{ items: Array<{ id: string }> }>(api.items.POST('/items', { body: { datasetId: dataset.id, items: [{ name, width, height, ...(metadata ? { metadata } : {}) }] } })))
      .items[0];
  const reveal = async (id: string) => (await ok(api.webhooks.POST('/endpoints/{id}/secret/reveal', { params: { path: { id } } }))).secret;

  it('sets up an endpoint with an authorization header, the seed workflow and a dataset', async () => {
    stageEndpoint = await ok(
      api.webhooks.POST('/endpoints', {
        body: {
          name: 'QA receiver',
          url: `${receiver.url}/stage`,
          authorization: 'Bearer receiver-secret-token' as never /* nullable strings are generated as objects */,
          includeAnnotations: true,
        },
      }),
    );
    stageSecret = await reveal(stageEndpoint.id);
    expect(stageSecret).toMatch(/^whsec_/);
    workflow = await ok<WorkflowView>(api.workflow.POST('/workflows/template', { body: { name: 'Seed', endpointId: stageEndpoint.id, maxAttempts: 3 } }));
    expect(workflow.stages.map((s) => s.type)).toEqual(['dataset', 'annotate', 'webhook', 'review', 'complete']);
    dataset = await ok<{ id: string }>(api.items.POST('/datasets', { body: { name: 'Screws' } }));
  });

  it('the test button sends a signed ping to the endpoint and shows the response', async () => {
    receiver.clear();
    const ping = await ok<{ statusCode: number }>(api.webhooks.POST('/endpoints/{id}/test', { params: { path: { id: stageEndpoint.id } } }));
    expect(ping.statusCode).toBe(200);
    const [req] = await receiver.waitFor(1, '/stage');
    expect(verified(req, stageSecret).type).toBe('webhook.test');
    expect(req.headers.authorization).toBe('Bearer receiver-secret-token');
  });

  it('sends the item with its Darwin JSON as it was when it entered the webhook stage, then routes it to review', async () => {
    receiver.clear();
    const item = await register('box-1.jpg', 1920, 1080, { expected_annotations: 2 });
    await addToWorkflow(item.id);
    await command(item.id, 'start');
    // The annotator saves and submits at once: the saved annotation must be in the payload.
    const saved = await ok<{ version: number }>(
      api.items.POST('/items/{itemId}/annotations/bulk', {
        params: { path: { itemId: item.id } },
        body: {
          annotations: [
            { name: 'screw', bounding_box: { x: 10, y: 20, w: 30, h: 40 } },
            {
              name: 'washer',
              polygon: {
                paths: [
                  [
                    { x: 1, y: 1 },
                    { x: 9, y: 1 },
                    { x: 9, y: 9 },
                  ],
                ],
              },
            },
            // Darwin shapes come out of the OpenAPI document as empty objects: typed by contracts, not here.
          ] as never,
        },
      }),
    );
    await command(item.id, 'submit');

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
    await ok(api.items.POST('/items/{itemId}/annotations', { params: { path: { itemId: item.id } }, body: { name: 'late', keypoint: { x: 5, y: 5 } as never } }));
    await until(async () => (await position(item.id)).stageId === stage('review'), { timeoutMs: 30_000, message: 'item routed to review' });

    const { data: deliveries } = await ok<DeliveryPage>(api.delivery.GET('/deliveries', { params: { query: { itemId: item.id, eventType: 'workflow.stage.entered' } } }));
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0].status).toBe('delivered');
    await ok(api.delivery.POST('/deliveries/{id}/redeliver', { params: { path: { id: deliveries[0].id } } }));
    const [, again] = await receiver.waitFor(2, '/stage', 30_000);
    expect(again.headers['webhook-id']).toBe(req.headers['webhook-id']);
    expect(again.body).toBe(req.body);
  });

  it('retries a 500 and, when the attempts run out, takes the failed route to review; a reject sends it round again', async () => {
    receiver.clear();
    const item = await register('box-2.jpg', 800, 600);
    await addToWorkflow(item.id);
    await command(item.id, 'start');

    // First visit: one 500, then success on the retry.
    receiver.next('/stage', answer.status(500));
    await command(item.id, 'submit');
    await until(async () => (await position(item.id)).stageId === stage('review'), { timeoutMs: 30_000, message: 'first visit routed' });
    const first = receiver.received('/stage');
    expect(first.map((r) => r.answered)).toEqual([500, 200]);
    expect(new Set(first.map((r) => r.headers['webhook-id'])).size).toBe(1);

    // Reject back to annotate; the second visit always gets 500 and fails after 3 attempts.
    await command(item.id, 'reject');
    expect((await position(item.id)).stageId).toBe(stage('annotate'));
    receiver.clear();
    receiver.setDefault(answer.status(500), '/stage');
    await command(item.id, 'submit');
    await until(async () => (await position(item.id)).stageId === stage('review'), { timeoutMs: 30_000, message: 'failed route to review' });
    receiver.reset();
    expect(receiver.received('/stage')).toHaveLength(3);

    const { visits } = await ok<{ visits: Visit[] }>(
      api.workflow.GET('/workflows/{id}/items/{itemId}/history', { params: { path: { id: workflow.workflowId, itemId: item.id } } }),
    );
    const webhookVisits = visits.filter((v) => v.stageId === stage('webhook'));
    expect(webhookVisits).toHaveLength(2);
    expect(webhookVisits[0].visitId).not.toBe(webhookVisits[1].visitId);
    expect(JSON.stringify(webhookVisits[1])).toContain('failed');

    await command(item.id, 'approve');
    expect((await position(item.id)).stageId).toBe(stage('complete'));
  });

  it("a status change triggers the subscribed endpoint with the item, its dataset's name and slug, and the old and new status (Hasty)", async () => {
    receiver.clear();
    const statusEndpoint = await ok(api.webhooks.POST('/endpoints', { body: { name: 'status', url: `${receiver.url}/status`, eventTypes: ['item.status.changed'] } }));
    const secret = await reveal(statusEndpoint.id);
    const item = await register('box-3.jpg', 800, 600);
    // The delivery service learns of the new endpoint from the bus; a status change after that is sent.
    await until(async () => (await api.delivery.GET('/endpoints/{id}/circuit', { params: { path: { id: statusEndpoint.id } } })).response.status === 200, {
      timeoutMs: 15_000,
      message: 'delivery knows the endpoint',
    });
    await ok(api.items.POST('/items/{itemId}/status', { params: { path: { itemId: item.id } }, body: { to: 'in_progress', changedBy: 'alice@example.com', reason: 'picked up' } }));

    const reqs = await until(
      () => {
        const mine = receiver.received('/status').filter((r) => verified(r, secret).data.itemId === item.id);
        return mine.length > 0 ? mine : undefined;
      },
      { timeoutMs: 30_000, message: 'status webhook' },
    );
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
    const other = platform.sdk('someone-else');
    expect((await other.webhooks.GET('/endpoints/{id}', { params: { path: { id: stageEndpoint.id } } })).response.status).toBe(404);
    expect((await other.workflow.GET('/workflows/{id}', { params: { path: { id: workflow.workflowId } } })).response.status).toBe(404);
    expect((await other.items.GET('/datasets/{datasetId}', { params: { path: { datasetId: dataset.id } } })).response.status).toBe(404);
  });
});
