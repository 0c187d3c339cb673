// Response bodies are untyped JSON (@stagehook/testing Json): reading their arrays is the point of these tests.
/* eslint-disable @typescript-eslint/no-unsafe-call */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { jetstream, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { BusNamespace, darwinConformanceProblems, ItemsRpc, newEvent, type CloudEvent } from '@stagehook/contracts';
import { rpcRequest } from '@stagehook/messaging';
import { bootService, type BootedService, connectTestNats, until } from '@stagehook/testing';
import * as platform from '@stagehook/platform';
import { itemsService } from './support.js';

describe('items service over HTTP, PostgreSQL and NATS', () => {
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let s: BootedService<NestExpressApplication>;
  let ns: BusNamespace;
  let datasetId: string;

  beforeAll(async () => {
    ({ nc, jsm } = await connectTestNats());
    s = await bootService(platform, itemsService);
    ns = new BusNamespace(s.namespace);
    const ds = await s.call('POST', '/datasets', { name: 'Cars 2026' });
    expect(ds.status).toBe(201);
    datasetId = ds.json.id as string;
  });

  afterAll(async () => {
    await s.close();
    await nc.drain();
  });

  async function register(name: string, extra: Record<string, unknown> = {}): Promise<string> {
    const r = await s.call('POST', '/items', { datasetId, items: [{ name, width: 1920, height: 1080, sourceUrl: 'https://img.example.com/a.jpg', ...extra }] });
    expect(r.status).toBe(201);
    return r.json.items[0].id as string;
  }

  async function streamEvents(type: string): Promise<CloudEvent[]> {
    const out: CloudEvent[] = [];
    // An ordered consumer over the whole stream (NATS 2.9 has no multi-filter ordered consumers).
    const consumer = await jetstream(nc).consumers.get(ns.streamName('ITEMS'));
    for (;;) {
      const m = await consumer.next({ expires: 1000 });
      if (!m) break;
      out.push(m.json<CloudEvent>());
    }
    return out.filter((e) => e.type === type);
  }

  it('register → annotate → status change publishes and stores item.status.changed with the right fields, dataset name and slug included', async () => {
    const itemId = await register('a.jpg');
    const add = await s.call('POST', `/items/${itemId}/annotations`, { name: 'car', bounding_box: { x: 10, y: 10, w: 100, h: 50 } });
    expect(add.status).toBe(201);
    const st = await s.call('POST', `/items/${itemId}/status`, { to: 'in_progress', changedBy: 'user-7', reason: 'picked up' });
    expect(st.json).toEqual({ status: 'in_progress', version: 3 });

    let events: CloudEvent[] = [];
    await until(async () => (events = (await streamEvents('item.status.changed')).filter((e) => (e.data as { itemId: string }).itemId === itemId)).length === 1, {
      message: 'item.status.changed relayed',
    });
    const expected = {
      itemId,
      itemName: 'a.jpg',
      datasetId,
      datasetName: 'Cars 2026',
      datasetSlug: 'cars-2026',
      projectId: 'proj-a',
      from: 'new',
      to: 'in_progress',
      changedBy: 'user-7',
      reason: 'picked up',
      itemVersion: 3,
    };
    expect(events[0].data).toMatchObject(expected);
    expect(events[0].type).toBe('item.status.changed');
    const stored = (await s.call('GET', `/items/${itemId}/history`)).json.events.filter((e: { type: string }) => e.type === 'item.status.changed');
    expect(stored).toHaveLength(1);
    expect(stored[0].data).toMatchObject(expected);
  });

  it('refuses an illegal transition with a 409 naming both statuses', async () => {
    const itemId = await register('illegal.jpg');
    const r = await s.call('POST', `/items/${itemId}/status`, { to: 'done', changedBy: 'u' });
    expect(r.status).toBe(409);
    expect(r.json.message).toMatch(/new.*done/);
  });

  it('answers a repeated update with the version it made, adding no event', async () => {
    const itemId = await register('same-update.jpg');
    const a = await s.call('POST', `/items/${itemId}/annotations`, { name: 'car', bounding_box: { x: 1, y: 2, w: 3, h: 4 } });
    const id = a.json.annotation.id as string;
    const first = await s.call('PUT', `/items/${itemId}/annotations/${id}`, { name: 'car', bounding_box: { x: 5, y: 2, w: 3, h: 4 } });
    expect(first.status).toBe(200);
    // A client retrying the same PUT (its response was lost): nothing changes.
    const again = await s.call('PUT', `/items/${itemId}/annotations/${id}`, { name: 'car', bounding_box: { x: 5, y: 2, w: 3, h: 4 } });
    expect(again.status).toBe(200);
    expect(again.json.version).toBe(first.json.version);
  });

  it('exports version N exactly after later edits', async () => {
    const itemId = await register('versions.jpg');
    const a1 = await s.call('POST', `/items/${itemId}/annotations`, { name: 'car', keypoint: { x: 1, y: 2 } });
    const v = a1.json.version as number;
    await s.call('POST', `/items/${itemId}/annotations`, { name: 'bus', keypoint: { x: 3, y: 4 } });
    await s.call('DELETE', `/items/${itemId}/annotations/${a1.json.annotation.id as string}`);
    const at = await s.call('GET', `/items/${itemId}/darwin?version=${v}`);
    expect(at.status).toBe(200);
    expect(at.json.annotations.map((a: { name: string }) => a.name)).toEqual(['car']);
    const latest = await s.call('GET', `/items/${itemId}/darwin`);
    expect(latest.json.annotations.map((a: { name: string }) => a.name)).toEqual(['bus']);
    expect(darwinConformanceProblems(latest.json)).toEqual([]);
    expect((await s.call('GET', `/items/${itemId}/darwin?version=99`)).status).toBe(404);
    for (const big of ['1e+308', '2147483648']) {
      const res = await s.call('GET', `/items/${itemId}/darwin?version=${big}`);
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.json)).toContain('version');
    }
  });

  it("answers 404 to another project's token", async () => {
    const itemId = await register('private.jpg');
    for (const [m, p, b] of [
      ['GET', `/items/${itemId}`, undefined],
      ['GET', `/items/${itemId}/darwin`, undefined],
      ['POST', `/items/${itemId}/annotations`, { name: 'x', keypoint: { x: 1, y: 1 } }],
      ['POST', `/items/${itemId}/status`, { to: 'in_progress', changedBy: 'u' }],
      ['GET', `/datasets/${datasetId}`, undefined],
    ] as const) {
      expect((await s.call(m, p, b, { project: 'proj-b' })).status).toBe(404);
    }
    const list = await s.call('GET', `/items?datasetId=${datasetId}`, undefined, { project: 'proj-b' });
    expect(list.json.items).toEqual([]);
  });

  it('refuses bad input with a 400 naming each field, and writes nothing of a rejected bulk request', async () => {
    const itemId = await register('bad.jpg');
    const bulk = await s.call('POST', `/items/${itemId}/annotations/bulk`, {
      annotations: [
        { name: 'ok', keypoint: { x: 1, y: 1 } },
        { name: 'neg', bounding_box: { x: 0, y: 0, w: -3, h: 1 } },
        { name: 'two', keypoint: { x: 1, y: 1 }, ellipse: { center: { x: 1, y: 1 }, radius: { x: 1, y: 1 }, angle: 0 } },
        {
          name: 'far',
          polygon: {
            paths: [
              [
                { x: 1, y: 1 },
                { x: 2, y: 1 },
                { x: 90_000, y: 1 },
              ],
            ],
          },
        },
        {
          name: 'short',
          polygon: {
            paths: [
              [
                { x: 1, y: 1 },
                { x: 2, y: 1 },
              ],
            ],
          },
        },
      ],
    });
    expect(bulk.status).toBe(400);
    const paths = (bulk.json.fields as { path: string }[]).map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining(['annotations[1].bounding_box.w', 'annotations[2]', 'annotations[3].polygon.paths[0][2].x', 'annotations[4].polygon.paths[0]']));
    expect(paths.some((p) => p.startsWith('annotations[0]'))).toBe(false);
    const unknownShape = await s.call('POST', `/items/${itemId}/annotations`, { name: 'm', mask: {} });
    expect(unknownShape.status).toBe(400);
    expect(JSON.stringify(unknownShape.json.fields)).toContain('mask');
    const item = await s.call('GET', `/items/${itemId}?annotations=true`);
    expect(item.json.annotations).toEqual([]);
    expect(item.json.version).toBe(1);

    const badItems = await s.call('POST', '/items', {
      datasetId,
      items: [
        { name: 'fine.jpg', width: 10, height: 10 },
        { name: 'nope.jpg', width: -1, height: 10 },
      ],
    });
    expect(badItems.status).toBe(400);
    expect(JSON.stringify(badItems.json.fields)).toContain('items[1].width');
    expect((await s.call('GET', `/items?datasetId=${datasetId}&limit=500`)).json.items.map((i: { name: string }) => i.name)).not.toContain('fine.jpg');
  });

  it('answers 413 to an oversized body', async () => {
    const huge = JSON.stringify({ annotations: [{ name: 'x'.repeat(6 * 1024 * 1024), tag: {} }] });
    const itemId = await register('huge.jpg');
    expect((await s.call('POST', `/items/${itemId}/annotations/bulk`, huge)).status).toBe(413);
    // Under the body limit, but one annotation larger than the bus carries in one event.
    const points = Array.from({ length: 45_000 }, (_, i) => ({ x: (i % 1900) + 0.123456, y: (i % 1000) + 0.654321 }));
    const big = await s.call('POST', `/items/${itemId}/annotations`, { name: 'huge', polygon: { paths: [points] } });
    expect(big.status).toBe(413);
    expect((await s.call('GET', `/items/${itemId}`)).json.version).toBe(1);
  });

  it('refuses a second item of the same name in a dataset with a 409, and serves the OpenAPI document', async () => {
    await register('same.jpg');
    const again = await s.call('POST', '/items', { datasetId, items: [{ name: 'same.jpg', width: 10, height: 10 }] });
    expect(again.status).toBe(409);
    const twice = await s.call('POST', '/items', {
      datasetId,
      items: [
        { name: 'twin.jpg', width: 10, height: 10 },
        { name: 'twin.jpg', width: 10, height: 10 },
      ],
    });
    expect(twice.status).toBe(400);
    expect(twice.json.fields[0].path).toBe('items[1].name');
    const docs = await s.call('GET', '/docs-json');
    expect(Object.keys(docs.json.paths as object)).toEqual(expect.arrayContaining(['/items', '/items/{itemId}/darwin', '/datasets/{datasetId}/darwin']));
  });

  it('registers a bulk of 1,000 items in one request and lists them by page', async () => {
    const ds = await s.call('POST', '/datasets', { name: 'Bulk', slug: 'bulk' });
    const items = Array.from({ length: 1000 }, (_, i) => ({ name: `img-${i}.jpg`, width: 640, height: 480 }));
    const r = await s.call('POST', '/items', { datasetId: ds.json.id, items });
    expect(r.status).toBe(201);
    expect(r.json.items).toHaveLength(1000);
    const page1 = await s.call('GET', `/items?datasetId=${ds.json.id as string}&limit=500`);
    expect(page1.json.items).toHaveLength(500);
    const page2 = await s.call('GET', `/items?datasetId=${ds.json.id as string}&limit=500&cursor=${page1.json.nextCursor as string}`);
    expect(page2.json.items).toHaveLength(500);
    expect(page2.json.nextCursor).toBeNull();
  });

  it('adds and removes tags, filters by tag, and pages the history', async () => {
    const itemId = await register('tagged.jpg');
    expect((await s.call('POST', `/items/${itemId}/tags`, { name: 'night' })).json.tags).toEqual(['night']);
    expect((await s.call('POST', `/items/${itemId}/tags`, { name: 'night' })).json).toEqual({ tags: ['night'], version: 2 });
    expect((await s.call('GET', `/items?tag=night`)).json.items.map((i: { id: string }) => i.id)).toEqual([itemId]);
    expect((await s.call('DELETE', `/items/${itemId}/tags/night`)).json.tags).toEqual([]);
    expect((await s.call('DELETE', `/items/${itemId}/tags/night`)).status).toBe(404);
    const h1 = await s.call('GET', `/items/${itemId}/history?limit=2`);
    expect(h1.json.events.map((e: { type: string }) => e.type)).toEqual(['item.registered', 'item.tag.added']);
    expect(h1.json.nextAfterVersion).toBe(2);
    const h2 = await s.call('GET', `/items/${itemId}/history?limit=2&afterVersion=2`);
    expect(h2.json.events.map((e: { type: string }) => e.type)).toEqual(['item.tag.removed']);
    expect(h2.json.nextAfterVersion).toBeNull();
  });

  it('keeps all of six concurrent annotation adds on one item (optimistic append, retried)', async () => {
    const itemId = await register('concurrent.jpg');
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => s.call('POST', `/items/${itemId}/annotations`, { name: `c${i}`, keypoint: { x: i, y: i } })));
    expect(results.map((r) => r.status)).toEqual(Array(6).fill(201));
    const item = await s.call('GET', `/items/${itemId}?annotations=true`);
    expect(item.json.annotations).toHaveLength(6);
    expect(item.json).toMatchObject({ version: 7, annotationCount: 6 });
  });

  it('rebuilds items_view from the events to the same rows', async () => {
    const { DataSource } = await import('typeorm');
    const { EventStore } = await import('@stagehook/event-store');
    const ds = s.app.get(DataSource);
    const snapshot = () => ds.query(`SELECT id, project_id, dataset_id, name, path, status, tags, annotation_count, metadata, slot, version FROM items_view ORDER BY seq`);
    const before = await snapshot();
    expect(before.length).toBeGreaterThan(1000);
    await s.app.get(EventStore).rebuildProjection('items_view');
    expect(await snapshot()).toEqual(before);
  });

  it('serves head and darwinExport over NATS, with not_found and version_not_found', async () => {
    const itemId = await register('rpc.jpg');
    const a = await s.call('POST', `/items/${itemId}/annotations`, { name: 'car', keypoint: { x: 1, y: 1 } });
    await s.call('POST', `/items/${itemId}/annotations`, { name: 'bus', keypoint: { x: 2, y: 2 } });
    const head = await rpcRequest(nc, ns, ItemsRpc.head, { projectId: 'proj-a', itemId });
    expect(head).toMatchObject({ ok: true, item: { id: itemId, version: 3, status: 'new', datasetName: 'Cars 2026', datasetSlug: 'cars-2026' } });
    const exp = await rpcRequest(nc, ns, ItemsRpc.darwinExport, { projectId: 'proj-a', itemId, version: a.json.version as number });
    expect(exp.ok && exp.darwin).toBeTruthy();
    if (exp.ok && exp.darwin) {
      expect(exp.item.version).toBe(2);
      expect((exp.darwin.annotations as { name: string }[]).map((x) => x.name)).toEqual(['car']);
    }
    expect(await rpcRequest(nc, ns, ItemsRpc.head, { projectId: 'proj-b', itemId })).toMatchObject({ ok: false, code: 'not_found' });
    expect(await rpcRequest(nc, ns, ItemsRpc.head, { projectId: 'proj-a', itemId: randomUUID() })).toMatchObject({ ok: false, code: 'not_found' });
    expect(await rpcRequest(nc, ns, ItemsRpc.darwinExport, { projectId: 'proj-a', itemId, version: 50 })).toMatchObject({ ok: false, code: 'version_not_found' });
    expect(await rpcRequest(nc, ns, ItemsRpc.darwinExport, { projectId: 'proj-a', itemId: 'nope' })).toMatchObject({ ok: false, code: 'invalid_request' });
  });

  it('applies a workflow.stage.entered delivered twice once, and dead-letters an unknown item', async () => {
    const itemId = await register('workflow.jpg');
    const js = jetstream(nc);
    const entered = (visitId: string, item = itemId, stageType: 'annotate' | 'review' = 'review') =>
      newEvent(
        'workflow.stage.entered',
        {
          workflowId: 'wf-1',
          workflowVersion: 1,
          stageId: 'st-review',
          stageType,
          stageName: 'Review',
          itemId: item,
          visitId,
          itemVersion: 1,
          projectId: 'proj-a',
          enteredAt: new Date().toISOString(),
        },
        { source: 'workflow', projectId: 'proj-a' },
      );
    const publish = async (e: ReturnType<typeof entered>, msgId?: string) => {
      const ce = {
        specversion: '1.0',
        id: e.id,
        source: 'workflow',
        type: e.type,
        time: new Date().toISOString(),
        datacontenttype: 'application/json',
        dataschemaversion: 1,
        subject: `item-${itemId}`,
        projectid: 'proj-a',
        data: e.data,
      };
      await js.publish(ns.subject('workflow.stage.entered'), JSON.stringify(ce), msgId ? { msgID: msgId } : undefined);
    };
    const sql = async (q: string, params: unknown[]): Promise<unknown[]> => s.app.get((await import('typeorm')).DataSource).query(q, params);
    const durable = ns.durable('items-stage-entered');
    const drained = async () => {
      const info = await jsm.consumers.info(ns.streamName('WORKFLOW'), durable);
      return info.num_pending === 0 && info.num_ack_pending === 0;
    };

    const e1 = entered('visit-1');
    await publish(e1);
    await until(async () => (await s.call('GET', `/items/${itemId}`)).json.status === 'to_review', { message: 'status to_review' });
    // A reviewer sends it back by hand; a redelivered entry of the old visit must not undo that.
    expect((await s.call('POST', `/items/${itemId}/status`, { to: 'in_progress', changedBy: 'reviewer' })).status).toBe(200);

    await publish(e1, `dup-${e1.id}`); // the same event again, past JetStream's own dedupe window id
    const republished = { ...entered('visit-1'), id: randomUUID() }; // the same visit under a new event id
    await publish(republished);
    await until(async () => (await sql(`SELECT 1 FROM msg_handled WHERE event_id = $1`, [republished.id])).length === 1 && (await drained()), {
      message: 'redeliveries handled',
    });
    expect((await s.call('GET', `/items/${itemId}`)).json.status).toBe('in_progress');

    const unknown = entered('visit-x', randomUUID());
    await publish(unknown);
    await until(async () => (await sql(`SELECT 1 FROM msg_dead_letters WHERE event_id = $1`, [unknown.id])).length === 1, { message: 'unknown item dead-lettered' });

    // An archived item is out of work on purpose: a stage entry for it is dead-lettered, not applied.
    const archivedId = await register('archived.jpg');
    expect((await s.call('POST', `/items/${archivedId}/status`, { to: 'archived', changedBy: 'u' })).status).toBe(200);
    const revive = entered('visit-a', archivedId, 'annotate');
    await publish(revive);
    await until(async () => (await sql(`SELECT 1 FROM msg_dead_letters WHERE event_id = $1`, [revive.id])).length === 1, { message: 'archived item entry dead-lettered' });
    expect((await s.call('GET', `/items/${archivedId}`)).json.status).toBe('archived');

    const history = await s.call('GET', `/items/${itemId}/history`);
    const changes = history.json.events.filter((e: { type: string }) => e.type === 'item.status.changed');
    expect(changes.map((c: { data: { to: string } }) => c.data.to)).toEqual(['to_review', 'in_progress']);
    expect(changes[0].data).toMatchObject({
      from: 'new',
      to: 'to_review',
      changedBy: 'workflow:st-review',
      visitId: 'visit-1',
      itemVersion: 2,
      datasetName: 'Cars 2026',
      datasetSlug: 'cars-2026',
    });
  });
});
