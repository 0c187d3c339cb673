import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { answer, connectTestNats, TestReceiver, until } from '@stagehook/testing';
import { Platform } from './support/platform.js';

interface Visit {
  stageId: string;
  stageType: string;
  edge: string | null;
  reason: string | null;
  itemVersion: number;
  leftAt: string | null;
}

/** Not the 1 GiB default, so the bucket shows which settings made it. */
const DOCUMENT_STORE_BYTES = 48 * 1024 * 1024;

/**
 * Write-back (V7's "run inference… like BYOM"): the receiver of a webhook stage answers with
 * Darwin JSON 2.0 annotations, and the item carries them before it leaves through `succeeded`,
 * so the next stage's frozen payload (include-annotations) already holds them.
 */
describe('a write-back webhook stage', () => {
  let platform: Platform;
  let receiver: TestReceiver;
  let ok: <T = Record<string, unknown>>(service: 'workflow' | 'items' | 'webhooks' | 'delivery', method: string, path: string, body?: unknown) => Promise<T>;
  let workflowId: string;
  let datasetId: string;
  const stage = { infer: 'infer', next: 'next', review: 'review' };

  beforeAll(async () => {
    receiver = await TestReceiver.start();
    const documents = { DOCUMENT_STORE_MAX_BYTES: String(DOCUMENT_STORE_BYTES) };
    platform = await Platform.start({ env: { delivery: { ...documents, DISPATCH_POLL_MS: '50', STAGE_RETRY_SCHEDULE_MS: '0,100' }, items: documents } });
    const call = platform.client('writeback-project');
    ok = async <T = Record<string, unknown>>(service: Parameters<typeof call>[0], method: string, path: string, body?: unknown): Promise<T> => {
      const res = await call<T>(service, method, path, body);
      if (res.status >= 300) throw new Error(`${method} ${service}${path} → ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    };
    const infer = await ok<{ id: string }>('webhooks', 'POST', '/endpoints', { name: 'model', url: `${receiver.url}/infer` });
    const next = await ok<{ id: string }>('webhooks', 'POST', '/endpoints', { name: 'qa', url: `${receiver.url}/next`, includeAnnotations: true });
    const wf = await ok<{ workflowId: string }>('workflow', 'POST', '/workflows', {
      name: 'Model in the loop',
      stages: [
        { id: 'dataset', name: 'Dataset', type: 'dataset', edges: [{ name: 'default', to: stage.infer }] },
        {
          id: stage.infer,
          name: 'Inference',
          type: 'webhook',
          webhook: { endpointId: infer.id, writeBack: true, maxAttempts: 2 },
          edges: [
            { name: 'succeeded', to: stage.next },
            { name: 'failed', to: stage.review },
          ],
        },
        {
          id: stage.next,
          name: 'QA hook',
          type: 'webhook',
          webhook: { endpointId: next.id, includeAnnotations: true },
          edges: [
            { name: 'succeeded', to: stage.review },
            { name: 'failed', to: stage.review },
          ],
        },
        {
          id: stage.review,
          name: 'Review',
          type: 'review',
          edges: [
            { name: 'approve', to: 'done' },
            { name: 'reject', to: stage.infer },
          ],
        },
        { id: 'done', name: 'Done', type: 'complete', edges: [] },
      ],
    });
    workflowId = wf.workflowId;
    datasetId = (await ok<{ id: string }>('items', 'POST', '/datasets', { name: 'Write-back' })).id;
  }, 180_000);

  afterAll(async () => {
    await platform?.stop();
    await receiver?.close();
  });

  const register = async (name: string) =>
    (await ok<{ items: { id: string }[] }>('items', 'POST', '/items', { datasetId, items: [{ name, path: '/', width: 640, height: 480 }] })).items[0].id;
  const history = async (itemId: string) => (await ok<{ visits: Visit[] }>('workflow', 'GET', `/workflows/${workflowId}/items/${itemId}/history`)).visits;

  it('applies the answered annotations and tags before the next stage is entered', async () => {
    receiver.setDefault(
      answer.ok(
        JSON.stringify({
          version: '2.0',
          annotations: [
            { id: '3b241101-e2bb-4255-8caf-4136c566a962', name: 'car', slot_names: ['0'], bounding_box: { x: 10, y: 20, w: 100, h: 50 } },
            { name: 'model-checked', tag: {} },
          ],
        }),
      ),
      '/infer',
    );
    const itemId = await register('street.jpg');
    await ok('workflow', 'POST', `/workflows/${workflowId}/items`, { itemIds: [itemId] });
    await ok('workflow', 'POST', `/workflows/${workflowId}/items/${itemId}/start`, {});

    const [req] = await receiver.waitFor(1, '/next', 60_000);
    const body = JSON.parse(req.body) as { data: { itemVersion: number; annotations: { annotations: { id: string; name: string; tag?: object; bounding_box?: object }[] } } };
    const names = body.data.annotations.annotations.map((a) => a.name).sort();
    expect(names).toEqual(['car', 'model-checked']);
    expect(body.data.annotations.annotations.find((a) => a.name === 'car')).toMatchObject({
      id: '3b241101-e2bb-4255-8caf-4136c566a962',
      bounding_box: { x: 10, y: 20, w: 100, h: 50 },
    });

    const visits = await history(itemId);
    const inferVisit = visits.find((v) => v.stageId === stage.infer);
    expect(inferVisit?.edge).toBe('succeeded');
    const item = await ok<{ tags: string[]; annotationCount: number }>('items', 'GET', `/items/${itemId}`);
    expect(item.tags).toContain('model-checked');
    // The export at the next stage's frozen version holds them too.
    const nextVisit = visits.find((v) => v.stageId === stage.next);
    expect(nextVisit?.itemVersion).toBe(body.data.itemVersion);
    const exported = await ok<{ annotations: { name: string }[] }>('items', 'GET', `/items/${itemId}/darwin?version=${body.data.itemVersion}`);
    expect(exported.annotations.map((a) => a.name).sort()).toEqual(['car', 'model-checked']);
    expect(receiver.received('/infer').filter((r) => JSON.parse(r.body).data.itemId === itemId)).toHaveLength(1);

    // The write-back was this platform's first document: delivery made the bucket, and made it as
    // items would (on a cluster, with the platform's replicas rather than one).
    const { nc, jsm } = await connectTestNats('write-back-e2e');
    try {
      const bucket = await jsm.streams.info(`OBJ_${platform.namespace}_documents`);
      expect(bucket.config.max_bytes).toBe(DOCUMENT_STORE_BYTES);
    } finally {
      await nc.close();
    }
  }, 120_000);

  /** Registers an item, starts it, and waits until it has reached review (through either edge). */
  async function startUntilReview(name: string): Promise<{ itemId: string; visits: Visit[] }> {
    const itemId = await register(name);
    await ok('workflow', 'POST', `/workflows/${workflowId}/items`, { itemIds: [itemId] });
    await ok('workflow', 'POST', `/workflows/${workflowId}/items/${itemId}/start`, {});
    let visits: Visit[] = [];
    await until(
      async () => {
        visits = await history(itemId);
        return visits.some((v) => v.stageId === stage.review);
      },
      { timeoutMs: 60_000, message: 'routed to review' },
    );
    return { itemId, visits };
  }

  it('fails an attempt whose 2xx body is not Darwin annotations, and routes failed after the retries', async () => {
    receiver.setDefault(answer.ok('this is not json'), '/infer');
    const { itemId, visits } = await startUntilReview('alley.jpg');
    const inferVisit = visits.find((v) => v.stageId === stage.infer);
    expect(inferVisit?.edge).toBe('failed');
    expect(inferVisit?.reason).toContain('not JSON');
    expect(visits.some((v) => v.stageId === stage.next)).toBe(false);
    // Both attempts (maxAttempts 2) reached the receiver; nothing was written to the item.
    expect(receiver.received('/infer').filter((r) => JSON.parse(r.body).data.itemId === itemId)).toHaveLength(2);
    const item = await ok<{ annotationCount: number }>('items', 'GET', `/items/${itemId}`);
    expect(item.annotationCount).toBe(0);

    const { data: deliveries } = await ok<{ data: { id: string }[] }>('delivery', 'GET', `/deliveries?itemId=${itemId}`);
    expect(deliveries).toHaveLength(1);
    const { data: attempts } = await ok<{ data: { statusCode: number | null; error: string | null }[] }>('delivery', 'GET', `/deliveries/${deliveries[0].id}/attempts`);
    expect(attempts).toHaveLength(2);
    for (const a of attempts) {
      expect(a.statusCode).toBe(200);
      expect(a.error).toContain('write-back: the response body is not JSON');
    }
  }, 120_000);

  it('rejects annotations on a slot the item does not have: the visit routes failed with the reason', async () => {
    receiver.setDefault(answer.ok(JSON.stringify({ annotations: [{ name: 'car', slot_names: ['left'], bounding_box: { x: 1, y: 1, w: 2, h: 2 } }] })), '/infer');
    const { itemId, visits } = await startUntilReview('bridge.jpg');
    const inferVisit = visits.find((v) => v.stageId === stage.infer);
    expect(inferVisit?.edge).toBe('failed');
    expect(inferVisit?.reason).toContain('slot_names');
    expect((await ok<{ annotationCount: number }>('items', 'GET', `/items/${itemId}`)).annotationCount).toBe(0);
  }, 120_000);
});
