import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NatsConnection } from '@nats-io/nats-core';
import { BusNamespace, ItemsRpc } from '@stagehook/contracts';
import { EventStore } from '@stagehook/event-store';
import { DocumentStore, rpcRequest } from '@stagehook/messaging';
import { bootService, type BootedService, connectTestNats } from '@stagehook/testing';
import * as platform from '@stagehook/platform';
import { itemsService } from './support.js';

const polygons = (n: number) =>
  Array.from({ length: n }, (_, k) => ({
    name: 'screw',
    polygon: {
      paths: [
        [
          { x: k % 900, y: 10 },
          { x: (k % 900) + 40, y: 10 },
          { x: (k % 900) + 40, y: 26 },
          { x: k % 900, y: 26 },
        ],
      ],
    },
  }));

/**
 * Bounds shrunk so a few hundred polygons cross them: exports above DARWIN_INLINE_MAX_BYTES go
 * through the document store (a 3,000-polygon export above NATS's max_payload crashed items when
 * it was sent inline), exports above DARWIN_EXPORT_MAX_BYTES are refused as payload_too_large.
 */
describe('rpc.items.darwin-export for documents bigger than one NATS message', () => {
  let nc: NatsConnection;
  let s: BootedService<NestExpressApplication>;
  let ns: BusNamespace;
  let datasetId: string;

  beforeAll(async () => {
    ({ nc } = await connectTestNats());
    s = await bootService(platform, itemsService, { env: { DARWIN_INLINE_MAX_BYTES: '4096', DARWIN_EXPORT_MAX_BYTES: String(100 * 1024) } });
    ns = new BusNamespace(s.namespace);
    datasetId = (await s.call('POST', '/datasets', { name: 'Screws' })).json.id as string;
  });

  afterAll(async () => {
    await s.close();
    await nc.drain();
  });

  async function itemWith(n: number): Promise<{ itemId: string; version: number }> {
    const r = await s.call('POST', '/items', { datasetId, items: [{ name: `screws-${n}.jpg`, width: 1920, height: 1080 }] });
    const itemId = r.json.items[0].id as string;
    const a = await s.call('POST', `/items/${itemId}/annotations/bulk`, { annotations: polygons(n) });
    expect(a.status).toBe(201);
    return { itemId, version: a.json.version as number };
  }

  /**
   * Three boxes sent as x, y, w, h: keys in an order PostgreSQL's jsonb does not keep (it sorts
   * them by length, then bytes), so a document built from what the client sent would differ from
   * one read back from the store.
   */
  async function itemWithBoxes(name: string): Promise<{ itemId: string; version: number }> {
    const r = await s.call('POST', '/items', { datasetId, items: [{ name, width: 1920, height: 1080 }] });
    const itemId = r.json.items[0].id as string;
    const boxes = Array.from({ length: 3 }, (_, k) => ({ name: 'screw', bounding_box: { x: k, y: 2, w: 30, h: 40 } }));
    const a = await s.call('POST', `/items/${itemId}/annotations/bulk`, { annotations: boxes });
    expect(a.status).toBe(201);
    return { itemId, version: a.json.version as number };
  }

  it('sends a small export inline and a big one by reference, equal to the HTTP export of that version', async () => {
    const small = await itemWith(2);
    const inline = await rpcRequest(nc, ns, ItemsRpc.darwinExport, { projectId: 'proj-a', itemId: small.itemId, version: small.version });
    expect(inline.ok && inline.darwin && !inline.darwinRef).toBeTruthy();

    const big = await itemWith(150);
    const reply = await rpcRequest(nc, ns, ItemsRpc.darwinExport, { projectId: 'proj-a', itemId: big.itemId, version: big.version });
    if (!reply.ok || !reply.darwinRef) throw new Error(`expected a reference, got ${JSON.stringify(reply).slice(0, 300)}`);
    expect(reply.darwin).toBeUndefined();
    expect(reply.darwinRef.bytes).toBeGreaterThan(4096);
    const stored = Buffer.from(await new DocumentStore(nc, ns).get(reply.darwinRef, { maxBytes: 1024 * 1024 })).toString('utf8');
    const viaHttp = await s.call('GET', `/items/${big.itemId}/darwin?version=${big.version}`);
    expect(viaHttp.status).toBe(200);
    expect(JSON.parse(stored)).toEqual(viaHttp.json);
    expect((JSON.parse(stored) as { annotations: unknown[] }).annotations).toHaveLength(150);
  });

  it('exports the version this process just decided from its cached state, byte for byte the document read back later', async () => {
    const { itemId, version } = await itemWithBoxes('key-order.jpg');
    const spy = jest.spyOn(s.app.get(EventStore), 'readStream');
    // This item's stream only: another test's work in the same process is not this export's.
    const reads = () => spy.mock.calls.filter(([streamId]) => streamId.endsWith(itemId));
    try {
      // Annotating left the state at `version` in the process's cache: a stage entry's export.
      const reply = await rpcRequest(nc, ns, ItemsRpc.darwinExport, { projectId: 'proj-a', itemId, version });
      if (!reply.ok || !reply.darwin) throw new Error(`expected an inline export, got ${JSON.stringify(reply).slice(0, 300)}`);
      expect(reads()).toEqual([]);
      // Once the item moved on, that version is folded from the stream: the same bytes.
      expect((await s.call('POST', `/items/${itemId}/annotations/bulk`, { annotations: polygons(1) })).status).toBe(201);
      spy.mockClear();
      const later = await s.call('GET', `/items/${itemId}/darwin?version=${version}`);
      expect(reads().length).toBeGreaterThan(0);
      expect(later.text).toBe(JSON.stringify(reply.darwin));
      expect((reply.darwin as { annotations: unknown[] }).annotations).toHaveLength(3);
    } finally {
      spy.mockRestore();
    }
  });

  it("exports an item's latest version as later exports of that version do, byte for byte", async () => {
    const { itemId, version } = await itemWithBoxes('latest-key-order.jpg');
    // The latest version, loaded from the state this process kept after the command.
    const latest = await s.call('GET', `/items/${itemId}/darwin`);
    expect(latest.status).toBe(200);
    expect((await s.call('POST', `/items/${itemId}/annotations/bulk`, { annotations: polygons(1) })).status).toBe(201);
    const later = await s.call('GET', `/items/${itemId}/darwin?version=${version}`);
    expect(later.text).toBe(latest.text);
  });

  it('refuses an export above its bound as payload_too_large', async () => {
    const huge = await itemWith(500);
    const reply = await rpcRequest(nc, ns, ItemsRpc.darwinExport, { projectId: 'proj-a', itemId: huge.itemId, version: huge.version });
    expect(reply).toMatchObject({ ok: false, code: 'payload_too_large' });
  });
});
