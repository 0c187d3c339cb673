import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { until } from '@stagehook/testing';
import { Harness } from './support/harness.js';

interface Definition {
  workflowId: string;
  version: number;
  stages: Array<{ id: string; name: string; type: string }>;
}

const h = new Harness();

beforeAll(() => h.start('api'));
afterAll(() => h.stop());

async function template(project = 'p1'): Promise<Definition> {
  const res = await h.api<Definition>('POST', '/workflows/template', { body: { endpointId: 'ep-1' }, project });
  expect(res.status).toBe(201);
  return res.body;
}

describe('workflow definitions', () => {
  it('the template is dataset → annotate → webhook → review → complete with failed → review and reject → annotate', async () => {
    const wf = await template();
    const [d, a, w, r, c] = wf.stages as unknown as Array<{ id: string; type: string; edges: Array<{ name: string; to: string }> }>;
    expect(wf.stages.map((s) => s.type)).toEqual(['dataset', 'annotate', 'webhook', 'review', 'complete']);
    expect(d.edges).toEqual([{ name: 'default', to: a.id }]);
    expect(a.edges).toEqual([{ name: 'default', to: w.id }]);
    expect(w.edges).toEqual([
      { name: 'succeeded', to: r.id },
      { name: 'failed', to: r.id },
    ]);
    expect(r.edges).toEqual([
      { name: 'approve', to: c.id },
      { name: 'reject', to: a.id },
    ]);
    const listed = await h.api<Definition[]>('GET', '/workflows');
    expect(listed.body.map((x) => x.workflowId)).toContain(wf.workflowId);
  });

  it('an invalid graph is a 422 listing every problem', async () => {
    const res = await h.api('POST', '/workflows', {
      body: {
        name: 'broken',
        stages: [
          { id: 'a', name: 'A', type: 'annotate', edges: [{ name: 'default', to: 'x' }] },
          { id: 'w', name: 'W', type: 'webhook', edges: [] },
        ],
      },
    });
    expect(res.status).toBe(422);
    expect(res.body.error).toBe('invalid_workflow');
    const problems = (res.body.details as { problems: string[] }).problems;
    expect(problems).toEqual(
      expect.arrayContaining([
        'exactly one dataset stage is required (found 0)',
        'at least one complete stage is required',
        "stage 'a': edge 'default' points at unknown stage 'x'",
        "stage 'w': required edge 'succeeded' is missing",
        "stage 'w': required edge 'failed' is missing",
        "stage 'w': a webhook stage must name an endpoint",
      ]),
    );
  });

  it('a malformed body is a 400 naming the field', async () => {
    const res = await h.api('POST', '/workflows', { body: { name: 'x', stages: [{ id: 'a', name: 'A', type: 'bogus', edges: [] }] } });
    expect(res.status).toBe(400);
    expect((res.body.fields as Array<{ path: string }>).map((f) => f.path)).toEqual(['stages[0].type']);
    const header = await h.api('PUT', `/workflows/${(await template()).workflowId}`, {
      body: { name: 'x', stages: [{ id: 'a', name: 'A', type: 'dataset', edges: [] }] },
      headers: { 'if-match': 'yesterday' },
    });
    expect(header.status).toBe(400);
    expect((header.body.fields as Array<{ path: string }>)[0].path).toBe('If-Match');
  });

  it('an endpoint that does not exist in the project is a 422 naming the stage when the workflow is saved, not at the first item', async () => {
    h.missingEndpoints.add('ep-nowhere');
    const created = await h.api('POST', '/workflows/template', { body: { endpointId: 'ep-nowhere' } });
    expect(created.status).toBe(422);
    expect(created.body.error).toBe('invalid_workflow');
    expect(JSON.stringify(created.body.details)).toMatch(/stage '[^']+': endpoint ep-nowhere does not exist in this project/);
    // An edit naming it is refused too, and the workflow keeps its version.
    const wf = await template();
    const stages = (wf.stages as unknown as Array<{ id: string; name: string; type: string; edges: unknown[]; webhook?: { endpointId: string } }>).map((st) =>
      st.type === 'webhook' ? { ...st, webhook: { endpointId: 'ep-nowhere' } } : st,
    );
    const edited = await h.api('PUT', `/workflows/${wf.workflowId}`, { body: { name: 'x', stages } });
    expect(edited.status).toBe(422);
    expect((await h.api<Definition>('GET', `/workflows/${wf.workflowId}`)).body.version).toBe(wf.version);
    // An endpoint this service has seen deleted is refused without asking the registry.
    await h.publish('webhook.endpoint.deleted', { endpointId: 'ep-gone', projectId: 'p1', at: new Date().toISOString() });
    await until(async () => (await h.api('POST', '/workflows/template', { body: { endpointId: 'ep-gone' } })).status === 422, { message: 'deleted endpoint refused' });
  });

  it("another project's workflow is a 404", async () => {
    const wf = await template('p2');
    expect((await h.api('GET', `/workflows/${wf.workflowId}`)).status).toBe(404);
    expect((await h.api('POST', `/workflows/${wf.workflowId}/items`, { body: { itemIds: ['a'] } })).status).toBe(404);
    expect((await h.api('GET', `/workflows/${wf.workflowId}/stages`)).status).toBe(404);
  });
});

describe('adding items', () => {
  it('adds 1,000 items at once, reports those already present, and counts them per stage', async () => {
    const wf = await template();
    const ids = Array.from({ length: 1000 }, (_, i) => `bulk-${i}-${randomUUID()}`);
    for (const id of ids) h.itemVersions.set(`p1/${id}`, 1);
    const res = await h.api<{ added: string[]; alreadyPresent: string[] }>('POST', `/workflows/${wf.workflowId}/items`, { body: { itemIds: ids } });
    expect(res.status).toBe(200);
    expect(res.body.added).toHaveLength(1000);
    const again = await h.api<{ added: string[]; alreadyPresent: string[] }>('POST', `/workflows/${wf.workflowId}/items`, { body: { itemIds: ids.slice(0, 3) } });
    expect(again.body).toEqual({ workflowVersion: 1, added: [], alreadyPresent: ids.slice(0, 3) });

    await h.api('POST', `/workflows/${wf.workflowId}/items/${ids[0]}/start`, { body: {} });
    await h.api('POST', `/workflows/${wf.workflowId}/items/${ids[0]}/submit`, { body: {} });
    const counts = await h.api<{ stages: Array<{ stageType: string; count: number }>; total: number }>('GET', `/workflows/${wf.workflowId}/stages`);
    expect(counts.body.total).toBe(1000);
    expect(counts.body.stages.map((s) => [s.stageType, s.count])).toEqual([
      ['dataset', 999],
      ['annotate', 0],
      ['webhook', 1],
      ['review', 0],
      ['complete', 0],
    ]);
    const webhook = wf.stages.find((s) => s.type === 'webhook')!;
    const inStage = await h.api<{ items: Array<{ itemId: string }> }>('GET', `/workflows/${wf.workflowId}/stages/${webhook.id}/items`);
    expect(inStage.body.items.map((i) => i.itemId)).toEqual([ids[0]]);

    const waiting = await h.api<{ items: Array<{ itemId: string; waitingSeconds: number }> }>('GET', `/webhook-waits?olderThanSeconds=0&workflowId=${wf.workflowId}`);
    expect(waiting.body.items.map((i) => i.itemId)).toEqual([ids[0]]);
    const notYet = await h.api<{ items: unknown[] }>('GET', `/webhook-waits?olderThanSeconds=3600&workflowId=${wf.workflowId}`);
    expect(notYet.body.items).toEqual([]);
    const metrics = await (await fetch(`${h.service.url}/metrics`)).text();
    expect(metrics).toMatch(/stagehook_workflow_webhook_waiting_items\S* 1\n/);
    expect(metrics).toMatch(/stagehook_workflow_stage_entries_total\{[^}]*stage_type="webhook"[^}]*\} 1\n/);
  });

  it('more than 1,000 items is a 400 naming the field', async () => {
    const wf = await template();
    const res = await h.api('POST', `/workflows/${wf.workflowId}/items`, { body: { itemIds: Array.from({ length: 1001 }, (_, i) => `x${i}`) } });
    expect(res.status).toBe(400);
    expect((res.body.fields as Array<{ path: string }>)[0].path).toBe('itemIds');
  });

  it('unknown items are a 422 listing them, and nothing is added', async () => {
    const wf = await template();
    const known = `img-${randomUUID()}`;
    h.itemVersions.set(`p1/${known}`, 1);
    const res = await h.api('POST', `/workflows/${wf.workflowId}/items`, { body: { itemIds: [known, 'ghost-1', 'ghost-2'] } });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ error: 'unknown_items', details: { itemIds: ['ghost-1', 'ghost-2'] } });
    expect((await h.api('GET', `/workflows/${wf.workflowId}/items/${known}`)).status).toBe(404);
  });

  it('a command on an item not in the workflow is a 404; a bad command name is a 400', async () => {
    const wf = await template();
    expect((await h.api('POST', `/workflows/${wf.workflowId}/items/nobody/start`, { body: {} })).status).toBe(404);
    const bad = await h.api('POST', `/workflows/${wf.workflowId}/items/nobody/launch`, { body: {} });
    expect(bad.status).toBe(400);
    expect((bad.body.fields as Array<{ path: string }>)[0].path).toBe('command');
  });

  it('when the items service does not answer, a command fails with 503 instead of freezing a guessed version', async () => {
    const wf = await template();
    const item = `img-${randomUUID()}`;
    h.itemVersions.set(`p1/${item}`, 4);
    await h.api('POST', `/workflows/${wf.workflowId}/items`, { body: { itemIds: [item] } });
    h.stopItems();
    try {
      const res = await h.api('POST', `/workflows/${wf.workflowId}/items/${item}/start`, { body: {}, headers: { 'if-match': '"9"' } });
      expect(res.status).toBe(503);
      expect(res.body.error).toBe('items_unavailable');
    } finally {
      h.serveItems();
    }
    const res = await h.api('POST', `/workflows/${wf.workflowId}/items/${item}/start`, { body: {}, headers: { 'if-match': '"4"' } });
    expect(res).toMatchObject({ status: 200, body: { stageType: 'annotate', itemVersion: 4 } });
  });

  it("an If-Match above the item's latest version is a 412, and nothing is frozen from it", async () => {
    const wf = await template();
    const item = `img-${randomUUID()}`;
    h.itemVersions.set(`p1/${item}`, 4);
    await h.api('POST', `/workflows/${wf.workflowId}/items`, { body: { itemIds: [item] } });
    await h.api('POST', `/workflows/${wf.workflowId}/items/${item}/start`, { body: {} });
    const res = await h.api<{ message: string }>('POST', `/workflows/${wf.workflowId}/items/${item}/submit`, { body: {}, headers: { 'if-match': '"9"' } });
    expect(res.status).toBe(412);
    expect(res.body.message).toMatch(/version 9.*latest version is 4/);
    const pos = await h.api<{ stageType: string }>('GET', `/workflows/${wf.workflowId}/items/${item}`);
    expect(pos.body.stageType).toBe('annotate');
    expect(h.entered(item).filter((e) => e.data.stageType === 'webhook')).toEqual([]);
  });

  it('a stage holding its own url is a 503 naming the registry when it does not answer, and nothing is saved', async () => {
    // The harness answers only the endpoint lookup, not the registry's managed-endpoint requests.
    const stages = [
      { id: 'ds', name: 'Dataset', type: 'dataset', edges: [{ name: 'default', to: 'wh' }] },
      {
        id: 'wh',
        name: 'Hook',
        type: 'webhook',
        edges: [
          { name: 'succeeded', to: 'done' },
          { name: 'failed', to: 'done' },
        ],
        webhook: { url: 'https://hooks.example.com/in', authorizationHeader: 'Bearer x' },
      },
      { id: 'done', name: 'Complete', type: 'complete', edges: [] },
    ];
    const before = (await h.api<unknown[]>('GET', '/workflows', { project: 'p-inline' })).body.length;
    const res = await h.api<{ error: string; message: string }>('POST', '/workflows', { project: 'p-inline', body: { name: 'Inline', stages } });
    expect(res.status).toBe(503);
    expect(res.body.error).toBe('webhooks_unavailable');
    expect((await h.api<unknown[]>('GET', '/workflows', { project: 'p-inline' })).body.length).toBe(before);
  });

  it('the stage Test button is a 503 naming delivery when it does not answer; an unknown stage is a 404, a stage that is not a webhook a 422', async () => {
    const wf = await template();
    const hook = wf.stages.find((s) => s.type === 'webhook');
    const annotate = wf.stages.find((s) => s.type === 'annotate');
    const res = await h.api<{ error: string; message: string }>('POST', `/workflows/${wf.workflowId}/stages/${hook?.id}/test`, { body: {} });
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ error: 'delivery_unavailable', message: expect.stringContaining('delivery') });
    expect((await h.api('POST', `/workflows/${wf.workflowId}/stages/nope/test`, { body: {} })).status).toBe(404);
    expect((await h.api('POST', `/workflows/${wf.workflowId}/stages/${annotate?.id}/test`, { body: {} })).status).toBe(422);
  });
});
