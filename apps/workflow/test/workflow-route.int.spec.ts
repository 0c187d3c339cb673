import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ok, type PositionView } from '@stagehook/sdk';
import { until } from '@stagehook/testing';
import { EventStore } from '@stagehook/event-store';
import { DataSource } from 'typeorm';
import { Harness } from './support/harness.js';

interface Stage {
  id: string;
  name: string;
  type: string;
}
interface Definition {
  workflowId: string;
  version: number;
  stages: Stage[];
}
interface Position {
  stageType: string;
  state?: string;
  stageName: string;
  visitId: string;
  itemVersion: number;
  completed: boolean;
  workflowVersion: number;
}

const h = new Harness();

beforeAll(() => h.start('route'));
afterAll(() => h.stop());

const outcome = (visit: Record<string, unknown>, deliveryId: string, failed = false) => ({
  deliveryId,
  endpointId: 'ep-1',
  projectId: 'p1',
  triggerEventId: randomUUID(),
  triggerType: 'workflow.stage.entered',
  workflowId: visit.workflowId as string,
  stageId: visit.stageId as string,
  visitId: visit.visitId as string,
  itemId: visit.itemId as string,
  attempts: failed ? 5 : 1,
  lastStatusCode: failed ? 500 : 200,
  lastError: failed ? 'HTTP 500 from receiver' : null,
  at: new Date().toISOString(),
});

async function template(endpointId = 'ep-1'): Promise<Definition> {
  const res = await h.api<Definition>('POST', '/workflows/template', { body: { endpointId, maxAttempts: 3, includeAnnotations: true } });
  expect(res.status).toBe(201);
  return res.body;
}

/** The template's stages with the webhook stage's `failed` edge leading back to itself. */
function retryOnFailure(wf: Definition) {
  const [d, a, w, r, c] = wf.stages as (Stage & { edges: unknown[]; webhook?: unknown })[];
  return [
    { id: d.id, name: d.name, type: d.type, edges: [{ name: 'default', to: a.id }] },
    { id: a.id, name: a.name, type: a.type, edges: [{ name: 'default', to: w.id }] },
    {
      id: w.id,
      name: w.name,
      type: w.type,
      webhook: w.webhook,
      edges: [
        { name: 'succeeded', to: r.id },
        { name: 'failed', to: w.id },
      ],
    },
    {
      id: r.id,
      name: r.name,
      type: r.type,
      edges: [
        { name: 'approve', to: c.id },
        { name: 'reject', to: a.id },
      ],
    },
    { id: c.id, name: c.name, type: c.type, edges: [] },
  ];
}

/** A new item (items holds version 2) added, started and submitted: in the webhook stage, with its entry. */
async function submittedToWebhook(wf: Definition) {
  const item = `img-${randomUUID()}`;
  h.itemVersions.set(`p1/${item}`, 2);
  await h.api('POST', `/workflows/${wf.workflowId}/items`, { body: { itemIds: [item] } });
  await cmd(wf.workflowId, item, 'start');
  await cmd(wf.workflowId, item, 'submit');
  const entry = await until(() => h.entered(item).find((e) => e.data.stageType === 'webhook'), { message: 'webhook entry' });
  return { item, entry };
}

/** The item's position through the typed SDK client (the document gives requests their types; responses are the SDK's views). */
async function position(wf: string, item: string): Promise<PositionView> {
  return ok<PositionView>(h.client.GET('/workflows/{id}/items/{itemId}', { params: { path: { id: wf, itemId: item } } }));
}

async function cmd(wf: string, item: string, command: string, body: Record<string, unknown> = {}, project = 'p1') {
  return h.api<Position & { message?: string }>('POST', `/workflows/${wf}/items/${item}/${command}`, { body, project });
}

describe('an item through the template', () => {
  it('annotate → webhook → delivered → review → reject → annotate → webhook → failed → review → approve → complete', async () => {
    const wf = await template();
    const item = `img-${randomUUID()}`;
    h.itemVersions.set(`p1/${item}`, 3);

    const added = await h.api('POST', `/workflows/${wf.workflowId}/items`, { body: { itemIds: [item] } });
    expect(added).toMatchObject({ status: 200, body: { added: [item], alreadyPresent: [] } });
    expect((await cmd(wf.workflowId, item, 'start')).body.stageType).toBe('annotate');

    // The annotator saves (the items service is at 5 now) and submits at once.
    h.itemVersions.set(`p1/${item}`, 5);
    const submitted = await cmd(wf.workflowId, item, 'submit');
    expect(submitted.body).toMatchObject({ stageType: 'webhook', itemVersion: 5 });
    // A command answers the position its events leave, exactly as the read model holds it.
    expect(submitted.body).toEqual(await position(wf.workflowId, item));
    const firstWebhook = await until(() => h.entered(item).find((e) => e.data.stageType === 'webhook'), { message: 'webhook stage.entered published' });
    expect(firstWebhook.data).toMatchObject({ itemVersion: 5, webhook: { endpointId: 'ep-1', maxAttempts: 3, includeAnnotations: true }, workflowVersion: 1 });

    await h.publish('delivery.webhook.delivered', outcome(firstWebhook.data, 'd-1'), { subject: 'delivery-d-1' });
    await until(async () => (await position(wf.workflowId, item)).stageType === 'review', { message: 'delivered routed to review' });

    expect((await cmd(wf.workflowId, item, 'reject', { by: 'rev-1' })).body.stageType).toBe('annotate');
    h.itemVersions.set(`p1/${item}`, 8);
    // The client saw a version the items service has not reported yet: the higher one wins.
    expect((await cmd(wf.workflowId, item, 'submit', {}, 'p1')).body.itemVersion).toBe(8);
    const second = await until(() => h.entered(item).filter((e) => e.data.stageType === 'webhook')[1], { message: 'second webhook entry' });
    expect(second.data.visitId).not.toBe(firstWebhook.data.visitId);
    expect(second.data.itemVersion).toBe(8);

    // A replayed `delivered` for the first visit (a new event: e.g. a manual redeliver) changes nothing.
    const replay = await h.publish('delivery.webhook.delivered', outcome(firstWebhook.data, 'd-1-again'), { subject: 'delivery-d-1' });
    const ds = h.app.get(DataSource);
    await until(async () => (await ds.query(`SELECT 1 FROM msg_handled WHERE event_id = $1`, [replay])).length === 1, { message: 'replay handled' });
    expect(await position(wf.workflowId, item)).toMatchObject({ stageType: 'webhook', visitId: second.data.visitId });

    await h.publish('delivery.webhook.failed', outcome(second.data, 'd-2', true), { subject: 'delivery-d-2' });
    await until(async () => (await position(wf.workflowId, item)).stageType === 'review', { message: 'failed routed to review' });

    const approved = await cmd(wf.workflowId, item, 'approve', { by: 'rev-2' });
    expect(approved.body).toMatchObject({ stageType: 'complete', completed: true, state: 'completed' });
    expect(approved.body).toEqual(await position(wf.workflowId, item));
    await until(() => h.published.find((e) => e.type === 'workflow.item.completed' && e.data.itemId === item), { message: 'item.completed published' });

    await until(() => h.entered(item).length === 8, { message: 'eight stage entries published' });
    expect(h.entered(item).map((e) => e.data.stageType)).toEqual(['dataset', 'annotate', 'webhook', 'review', 'annotate', 'webhook', 'review', 'complete']);
    expect(new Set(h.entered(item).map((e) => e.data.visitId)).size).toBe(8);
    await until(() => h.published.filter((e) => e.type === 'workflow.stage.left' && e.data.itemId === item).length === 7, { message: 'seven exits' });
    expect(h.published.filter((e) => e.type === 'workflow.stage.left' && e.data.itemId === item).map((e) => e.data.edge)).toEqual([
      'default',
      'default',
      'succeeded',
      'reject',
      'default',
      'failed',
      'approve',
    ]);

    const history = await h.api<{ visits: Array<Record<string, unknown>> }>('GET', `/workflows/${wf.workflowId}/items/${item}/history`);
    expect(history.body.visits.map((v) => [v.stageType, v.outcome])).toEqual([
      ['dataset', 'default'],
      ['annotate', 'default'],
      ['webhook', 'succeeded'],
      ['review', 'reject'],
      ['annotate', 'default'],
      ['webhook', 'failed'],
      ['review', 'approve'],
      ['complete', null],
    ]);
    expect(history.body.visits[2]).toMatchObject({ deliveryId: 'd-1', itemVersion: 5 });
    expect(history.body.visits[5]).toMatchObject({ deliveryId: 'd-2', reason: 'HTTP 500 from receiver' });
    expect(history.body.visits[3]).toMatchObject({ by: 'rev-1' });
  });

  it('two reviewers approving the same visit: one wins, the other gets 409', async () => {
    const wf = await template();
    const item = `img-${randomUUID()}`;
    h.itemVersions.set(`p1/${item}`, 1);
    await h.api('POST', `/workflows/${wf.workflowId}/items`, { body: { itemIds: [item] } });
    await cmd(wf.workflowId, item, 'start');
    await cmd(wf.workflowId, item, 'submit');
    const review = wf.stages.find((s) => s.type === 'review')!;
    const moved = await h.api<Position>('POST', `/workflows/${wf.workflowId}/items/${item}/set-stage`, { body: { stageId: review.id, by: 'admin', reason: 'skip the webhook' } });
    expect(moved.body.stageType).toBe('review');
    const visitId = moved.body.visitId;

    const answers = await Promise.all([cmd(wf.workflowId, item, 'approve', { visitId }), cmd(wf.workflowId, item, 'approve', { visitId })]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
  });

  it('a command not allowed in the current stage is a 409 naming the stage', async () => {
    const wf = await template();
    const item = `img-${randomUUID()}`;
    h.itemVersions.set(`p1/${item}`, 1);
    await h.api('POST', `/workflows/${wf.workflowId}/items`, { body: { itemIds: [item] } });
    await cmd(wf.workflowId, item, 'start');
    const res = await cmd(wf.workflowId, item, 'approve');
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ error: 'stage_not_allowed', details: { stageName: 'Annotate', stageType: 'annotate' } });
    expect(res.body.message).toMatch(/Annotate/);
  });

  it('a webhook stage whose endpoint is disabled fails fast through failed with the reason', async () => {
    const endpointId = `ep-${randomUUID()}`;
    await h.publish('webhook.endpoint.disabled', { endpointId, projectId: 'p1', reason: 'too many failures', at: new Date().toISOString() });
    const ds = h.app.get(DataSource);
    await until(async () => (await ds.query(`SELECT 1 FROM wf_endpoint_status WHERE endpoint_id = $1 AND status = 'disabled'`, [endpointId])).length === 1, {
      message: 'endpoint status recorded',
    });
    const wf = await template(endpointId);
    const item = `img-${randomUUID()}`;
    h.itemVersions.set(`p1/${item}`, 2);
    await h.api('POST', `/workflows/${wf.workflowId}/items`, { body: { itemIds: [item] } });
    await cmd(wf.workflowId, item, 'start');
    expect((await cmd(wf.workflowId, item, 'submit')).body.stageType).toBe('review');
    const history = await h.api<{ visits: Array<Record<string, unknown>> }>('GET', `/workflows/${wf.workflowId}/items/${item}/history`);
    expect(history.body.visits[2]).toMatchObject({ stageType: 'webhook', outcome: 'failed', reason: `endpoint ${endpointId} is disabled` });

    await h.publish('webhook.endpoint.deleted', { endpointId, projectId: 'p1', at: new Date().toISOString() });
    await until(async () => (await ds.query(`SELECT 1 FROM wf_endpoint_status WHERE endpoint_id = $1 AND status = 'deleted'`, [endpointId])).length === 1, {
      message: 'deletion recorded',
    });
    await h.publish('webhook.endpoint.enabled', { endpointId, projectId: 'p1', at: new Date().toISOString() }, { subject: `webhook-${endpointId}` });
    // Same subject: the runner handles it after `enabled`.
    const marker = `ep-${randomUUID()}`;
    await h.publish('webhook.endpoint.disabled', { endpointId: marker, projectId: 'p1', reason: 'x', at: new Date().toISOString() }, { subject: `webhook-${endpointId}` });
    await until(async () => (await ds.query(`SELECT 1 FROM wf_endpoint_status WHERE endpoint_id = $1`, [marker])).length === 1, { message: 'marker handled' });
    // Deleted is final: a later `enabled` does not bring an endpoint back.
    expect(await ds.query(`SELECT status FROM wf_endpoint_status WHERE endpoint_id = $1`, [endpointId])).toEqual([{ status: 'deleted' }]);
  });

  it('items already waiting on an endpoint that gets disabled leave through failed at once', async () => {
    const endpointId = `ep-${randomUUID()}`;
    const wf = await template(endpointId);
    const items = [`img-${randomUUID()}`, `img-${randomUUID()}`];
    for (const item of items) h.itemVersions.set(`p1/${item}`, 1);
    await h.api('POST', `/workflows/${wf.workflowId}/items`, { body: { itemIds: items } });
    for (const item of items) {
      await cmd(wf.workflowId, item, 'start');
      expect((await cmd(wf.workflowId, item, 'submit')).body.stageType).toBe('webhook');
    }
    // Another project's endpoint of the same id changes nothing here.
    const elsewhere = await h.publish('webhook.endpoint.disabled', { endpointId, projectId: 'p2', reason: 'elsewhere', at: new Date().toISOString() }, { projectId: 'p2' });
    const ds = h.app.get(DataSource);
    await until(async () => (await ds.query(`SELECT 1 FROM msg_handled WHERE event_id = $1`, [elsewhere])).length === 1, { message: 'p2 event handled' });
    for (const item of items) expect((await position(wf.workflowId, item)).stageType).toBe('webhook');
    await h.publish('webhook.endpoint.deleted', { endpointId, projectId: 'p1', at: new Date().toISOString() });
    for (const item of items) {
      await until(async () => (await position(wf.workflowId, item)).stageType === 'review', { message: `${item} routed to review` });
      const history = await h.api<{ visits: Array<Record<string, unknown>> }>('GET', `/workflows/${wf.workflowId}/items/${item}/history`);
      expect(history.body.visits[2]).toMatchObject({ stageType: 'webhook', outcome: 'failed', reason: `endpoint ${endpointId} is deleted` });
    }
  });

  it('an outcome that enters a webhook stage while items is down waits in place, spends no deliveries, and routes once items is back', async () => {
    const wf = await template();
    // The webhook stage's failed edge leads back to itself: its new entry freezes the item's
    // current version, which only items can tell (an outcome into review asks nothing).
    const stages = retryOnFailure(wf);
    expect((await h.api('PUT', `/workflows/${wf.workflowId}`, { body: { name: 'retry on failure', stages }, headers: { 'if-match': '"1"' } })).status).toBe(200);
    const { item, entry } = await submittedToWebhook(wf);
    const durable = h.ns.durable('workflow-delivery-outcomes');
    const infraErrors = async () => {
      const text = await (await fetch(`${h.service.url}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith('stagehook_messaging_infra_errors_total{') && l.includes('consumer="workflow-delivery-outcomes"'));
      return line ? Number(line.split(' ').pop()) : 0;
    };
    const before = await infraErrors();
    h.stopItems();
    try {
      await h.publish('delivery.webhook.failed', outcome(entry.data, 'd-outage', true), { subject: 'delivery-d-outage' });
      // Several tries while items is down (each a 500 ms RPC timeout and a backoff)...
      await until(async () => (await infraErrors()) >= before + 4, { timeoutMs: 30_000, message: 'tries while items is down' });
      // ...held in place: the message was never redelivered, nothing dead-lettered, the item waits.
      const info = await h.jsm.consumers.info(h.ns.streamName('DELIVERY'), durable);
      expect(info.num_redelivered).toBe(0);
      expect(info.num_ack_pending).toBe(1);
      expect(await position(wf.workflowId, item)).toMatchObject({ stageType: 'webhook', visitId: entry.data.visitId });
    } finally {
      h.serveItems();
    }
    await until(async () => (await position(wf.workflowId, item)).visitId !== entry.data.visitId, { timeoutMs: 30_000, message: 'routed once items answered' });
    expect((await position(wf.workflowId, item)).stageType).toBe('webhook');
    const ds = h.app.get(DataSource);
    expect(await ds.query(`SELECT 1 FROM msg_dead_letters WHERE consumer = 'workflow-delivery-outcomes'`)).toEqual([]);
  });

  it('an outcome into review needs nothing from items: it routes while items is down, keeping the version the webhook froze', async () => {
    const wf = await template();
    const { item, entry } = await submittedToWebhook(wf);
    h.stopItems();
    try {
      await h.publish('delivery.webhook.delivered', outcome(entry.data, 'd-review'), { subject: 'delivery-d-review' });
      await until(async () => (await position(wf.workflowId, item)).stageType === 'review', { timeoutMs: 30_000, message: 'routed without asking items' });
      expect((await position(wf.workflowId, item)).itemVersion).toBe(entry.data.itemVersion);
    } finally {
      h.serveItems();
    }
  });

  it('parks an item whose webhook stage loops back on failed while its endpoint is disabled, and resumes it when the endpoint is enabled', async () => {
    const endpointId = `ep-${randomUUID()}`;
    const wf = await template(endpointId);
    // The webhook stage's failed edge leads back to itself (retry until the model answers).
    const stages = retryOnFailure(wf);
    const updated = await h.api<Definition>('PUT', `/workflows/${wf.workflowId}`, { body: { name: 'loop', stages }, headers: { 'if-match': '"1"' } });
    expect(updated.status).toBe(200);
    const item = `img-${randomUUID()}`;
    h.itemVersions.set(`p1/${item}`, 1);
    await h.api('POST', `/workflows/${wf.workflowId}/items`, { body: { itemIds: [item] } });
    await cmd(wf.workflowId, item, 'start');
    const disabled = await h.publish('webhook.endpoint.disabled', { endpointId, projectId: 'p1', reason: 'maintenance', at: new Date().toISOString() });
    const ds = h.app.get(DataSource);
    await until(async () => (await ds.query(`SELECT 1 FROM msg_handled WHERE event_id = $1`, [disabled])).length === 1, { message: 'disable handled' });

    const submitted = await cmd(wf.workflowId, item, 'submit');
    expect(submitted.body).toMatchObject({ stageType: 'webhook', state: 'blocked' });
    expect(submitted.body).toEqual(await position(wf.workflowId, item));
    expect(String((submitted.body as { blockedReason?: string }).blockedReason)).toContain(`endpoint ${endpointId} is disabled`);
    const webhookEntries = () => h.entered(item).filter((e) => e.data.stageType === 'webhook');
    await until(() => webhookEntries().length === 2, { message: 'fail-fast pass and parked entry published' });
    // The parked entry carries no webhook: delivery makes no delivery of it, so no outcome loops.
    expect(webhookEntries()[1].data.webhook).toBeUndefined();
    await until(() => h.published.some((e) => e.type === 'workflow.item.parked' && e.data.itemId === item), { message: 'parked event published' });

    const enabled = await h.publish('webhook.endpoint.enabled', { endpointId, projectId: 'p1', at: new Date().toISOString() });
    await until(async () => (await ds.query(`SELECT 1 FROM msg_handled WHERE event_id = $1`, [enabled])).length === 1, { message: 'enable handled' });
    await until(() => webhookEntries().length === 3, { message: 'resumed entry published' });
    expect(webhookEntries()[2].data.webhook).toMatchObject({ endpointId });
    expect(await position(wf.workflowId, item)).toMatchObject({ stageType: 'webhook', state: 'waiting' });
  });

  it('an edited workflow makes a new version; an item in flight finishes on its own', async () => {
    const wf = await template();
    const item = `img-${randomUUID()}`;
    h.itemVersions.set(`p1/${item}`, 1);
    await h.api('POST', `/workflows/${wf.workflowId}/items`, { body: { itemIds: [item] } });
    await cmd(wf.workflowId, item, 'start');
    // Version 2 drops the webhook: annotate goes straight to review.
    const [d, a, w, r, c] = wf.stages;
    const stages = [
      { ...d, edges: [{ name: 'default', to: a.id }] },
      { ...a, edges: [{ name: 'default', to: r.id }] },
      {
        ...r,
        edges: [
          { name: 'approve', to: c.id },
          { name: 'reject', to: a.id },
        ],
      },
      { ...c, edges: [] },
    ].map(({ id, name, type, edges }) => ({ id, name, type, edges }));
    const stale = await h.api('PUT', `/workflows/${wf.workflowId}`, { body: { name: 'v2', stages }, headers: { 'if-match': '"7"' } });
    expect(stale.status).toBe(409);
    const updated = await h.api<Definition>('PUT', `/workflows/${wf.workflowId}`, { body: { name: 'v2', stages }, headers: { 'if-match': '"1"' } });
    expect(updated).toMatchObject({ status: 200, body: { version: 2 } });

    expect((await cmd(wf.workflowId, item, 'submit')).body).toMatchObject({ stageType: 'webhook', stageName: w.name, workflowVersion: 1 });
    const fresh = `img-${randomUUID()}`;
    h.itemVersions.set(`p1/${fresh}`, 1);
    await h.api('POST', `/workflows/${wf.workflowId}/items`, { body: { itemIds: [fresh] } });
    await cmd(wf.workflowId, fresh, 'start');
    expect((await cmd(wf.workflowId, fresh, 'submit')).body).toMatchObject({ stageType: 'review', workflowVersion: 2 });
    expect((await h.api<Definition>('GET', `/workflows/${wf.workflowId}?version=1`)).body.stages).toHaveLength(5);
    // A version no PostgreSQL integer can hold is a 400 naming the field, not a 500 (found by the hostile suite).
    for (const v of ['1e+308', '2147483648']) {
      const res = await h.api('GET', `/workflows/${wf.workflowId}?version=${v}`);
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body)).toContain('version');
    }
  });

  it('asks items for the version only when a command enters a webhook stage (or names a version)', async () => {
    const wf = await template();
    const { item, entry } = await submittedToWebhook(wf);
    // Adding it asked (it must exist), start (into annotate) nothing, submit (into the webhook stage) once.
    expect(h.headsAsked.filter((i) => i === item)).toHaveLength(2);
    await h.publish('delivery.webhook.delivered', outcome(entry.data, `d-${item}`), { subject: `delivery-d-${item}` });
    await until(async () => (await position(wf.workflowId, item)).stageType === 'review', { message: 'delivered routed to review' });
    const approved = await cmd(wf.workflowId, item, 'approve');
    expect(approved.body).toMatchObject({ stageType: 'complete', itemVersion: 2 });
    expect(h.headsAsked.filter((i) => i === item)).toHaveLength(2);
    // A version the client names is checked against items whatever the stage.
    const other = `img-${randomUUID()}`;
    h.itemVersions.set(`p1/${other}`, 2);
    await h.api('POST', `/workflows/${wf.workflowId}/items`, { body: { itemIds: [other] } });
    const askedOnAdd = h.headsAsked.filter((i) => i === other).length;
    expect((await cmd(wf.workflowId, other, 'start', { itemVersion: 3 })).status).toBe(412);
    expect(h.headsAsked.filter((i) => i === other).length).toBeGreaterThan(askedOnAdd);
  });

  it('an annotation saved immediately before submit is covered by the itemVersion of the next stage.entered', async () => {
    const wf = await template();
    const item = `img-${randomUUID()}`;
    h.itemVersions.set(`p1/${item}`, 1);
    await h.api('POST', `/workflows/${wf.workflowId}/items`, { body: { itemIds: [item] } });
    await cmd(wf.workflowId, item, 'start');
    // The items service committed the annotation (version 12) and answered the annotator; the
    // annotator's client still shows 11 and submits at once.
    h.itemVersions.set(`p1/${item}`, 12);
    await cmd(wf.workflowId, item, 'submit', { itemVersion: 11 });
    const entry = await until(() => h.entered(item).find((e) => e.data.stageType === 'webhook'), { message: 'webhook entry published' });
    expect(entry.data.itemVersion).toBe(12);
  });

  it('the read models rebuilt from the events are the same', async () => {
    const ds = h.app.get(DataSource);
    const snapshot = async () => ({
      positions: await ds.query(`SELECT * FROM wf_item_positions ORDER BY workflow_id, item_id`),
      visits: await ds.query(`SELECT * FROM wf_visits ORDER BY visit_id`),
      definitions: await ds.query(`SELECT * FROM wf_definitions ORDER BY workflow_id, version`),
    });
    const before = await snapshot();
    expect((before.visits as unknown[]).length).toBeGreaterThan(10);
    const store = h.app.get(EventStore);
    await store.rebuildProjection('wf_items');
    await store.rebuildProjection('wf_definitions');
    expect(await snapshot()).toEqual(before);
  });

  it('serves its OpenAPI document with the workflow routes', async () => {
    const doc = await h.api<{ paths: Record<string, unknown> }>('GET', '/docs-json');
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/workflows', '/workflows/template', '/workflows/{id}/items', '/workflows/{id}/items/{itemId}/{command}', '/webhook-waits']),
    );
  });
});
