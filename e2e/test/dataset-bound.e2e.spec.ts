import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { until } from '@stagehook/testing';
import { Platform } from './support/platform.js';

interface Visit {
  stageId: string;
  stageType: string;
  edge: string | null;
}

/**
 * V7's dataset stage: a workflow whose dataset stage names a dataset takes the items registered
 * in it from then on, each once, through the same add-and-start a client would send.
 */
describe('a dataset-bound workflow', () => {
  let platform: Platform;
  let call: ReturnType<Platform['client']>;
  let ok: <T = Record<string, unknown>>(service: 'workflow' | 'items' | 'webhooks' | 'delivery', method: string, path: string, body?: unknown) => Promise<T>;
  let datasetId: string;
  let workflowId: string;
  let earlyItem: string;

  const stages = (dataset: string) => [
    { id: 'dataset', name: 'Dataset', type: 'dataset', datasetId: dataset, edges: [{ name: 'default', to: 'annotate' }] },
    { id: 'annotate', name: 'Annotate', type: 'annotate', edges: [{ name: 'default', to: 'done' }] },
    { id: 'done', name: 'Done', type: 'complete', edges: [] },
  ];
  const register = async (names: string[]) =>
    (await ok<{ items: { id: string }[] }>('items', 'POST', '/items', { datasetId, items: names.map((name) => ({ name, path: '/', width: 64, height: 64 })) })).items.map(
      (i) => i.id,
    );
  const history = async (itemId: string) => {
    const res = await call<{ visits: Visit[] }>('workflow', 'GET', `/workflows/${workflowId}/items/${itemId}/history`);
    return res.status === 200 ? res.body.visits : [];
  };

  beforeAll(async () => {
    platform = await Platform.start();
    call = platform.client('bound-project');
    ok = async <T = Record<string, unknown>>(service: Parameters<typeof call>[0], method: string, path: string, body?: unknown): Promise<T> => {
      const res = await call<T>(service, method, path, body);
      if (res.status >= 300) throw new Error(`${method} ${service}${path} → ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    };
    datasetId = (await ok<{ id: string }>('items', 'POST', '/datasets', { name: 'Incoming' })).id;
    [earlyItem] = await register(['before-binding.jpg']);
    workflowId = (await ok<{ workflowId: string }>('workflow', 'POST', '/workflows', { name: 'Intake', stages: stages(datasetId) })).workflowId;
  }, 180_000);

  afterAll(async () => {
    await platform?.stop();
  });

  it('refuses a second workflow on the same dataset with a 409 naming the first', async () => {
    const res = await call<{ message: string }>('workflow', 'POST', '/workflows', { name: 'Rival', stages: stages(datasetId) });
    expect(res.status).toBe(409);
    expect(JSON.stringify(res.body)).toContain(workflowId);
  });

  it('takes a newly registered item into the workflow once, on to the stage after the dataset stage', async () => {
    const [itemId] = await register(['fresh.jpg']);
    await until(async () => (await history(itemId)).some((v) => v.stageId === 'annotate'), { timeoutMs: 60_000, message: 'entered annotate' });
    const visits = await history(itemId);
    expect(visits.map((v) => v.stageId)).toEqual(['dataset', 'annotate']);
    // Registered before the binding: not pulled in.
    expect((await call('workflow', 'GET', `/workflows/${workflowId}/items/${earlyItem}`)).status).toBe(404);
  }, 120_000);

  it('takes a bulk registration of 50 items, each exactly once', async () => {
    const ids = await register(Array.from({ length: 50 }, (_, i) => `bulk-${i}.jpg`));
    await until(
      async () => {
        for (const id of ids) if (!(await history(id)).some((v) => v.stageId === 'annotate')) return false;
        return true;
      },
      { timeoutMs: 120_000, message: 'all 50 entered annotate' },
    );
    for (const id of ids) {
      const visits = await history(id);
      expect(visits.filter((v) => v.stageId === 'dataset')).toHaveLength(1);
      expect(visits.filter((v) => v.stageId === 'annotate')).toHaveLength(1);
    }
  }, 180_000);
});
