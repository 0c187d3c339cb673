// Response bodies are untyped JSON (support.ts Json): reading their arrays is the point of these tests.
/* eslint-disable @typescript-eslint/no-unsafe-call */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { DARWIN_SCHEMA_REF, darwinConformanceProblems, type DarwinAnnotation } from '@stagehook/contracts';
import { connectTestNats, createTestDatabase, deleteStreams, type TestDatabase } from '@stagehook/testing';
import { bootItems, type Booted } from './support.js';

const people = { annotators: [{ full_name: 'Ada Lovelace', email: 'ada@example.com' }], reviewers: [{ full_name: 'Grace Hopper', email: 'grace@example.com' }] };

/** Every supported shape with every sub-field, as V7 exports them (polygons and ellipses carry boxes). */
function supported(): DarwinAnnotation[] {
  return [
    { id: randomUUID(), name: 'car', slot_names: ['0'], bounding_box: { x: 10.5, y: 20, w: 100, h: 50.25 }, attributes: ['red', 'parked'], instance_id: { value: 3 }, ...people },
    {
      id: randomUUID(),
      name: 'road',
      slot_names: ['0'],
      bounding_box: { x: 0, y: 500, w: 400, h: 300 },
      polygon: {
        paths: [
          [{ x: 0, y: 500 }, { x: 400, y: 500 }, { x: 400, y: 800 }, { x: 0, y: 800 }],
          [{ x: 100, y: 600 }, { x: 200, y: 600 }, { x: 150, y: 700 }],
        ],
      },
      text: { text: 'lane 1' },
      properties: [{ name: 'surface', value: 'asphalt', frame_index: 0 }],
      ...people,
    },
    // Slightly outside the 1920×1080 image, as real exports are.
    { id: randomUUID(), name: 'horizon', slot_names: ['0'], bounding_box: { x: 0, y: -45, w: 1920, h: 0 }, line: { path: [{ x: 0, y: -45 }, { x: 1920, y: -45 }] }, annotators: [], reviewers: [] },
    { id: randomUUID(), name: 'nose', slot_names: ['0'], keypoint: { x: 960.5, y: 540 } },
    { id: randomUUID(), name: 'wheel', slot_names: ['0'], bounding_box: { x: 90, y: 90, w: 20, h: 20 }, ellipse: { center: { x: 100, y: 100 }, radius: { x: 10, y: 10 }, angle: 0.5 } },
    { id: randomUUID(), name: 'daytime', slot_names: ['0'], tag: {} },
  ];
}

function v7Document(name: string, annotations: unknown[]): Record<string, unknown> {
  return {
    version: '2.0',
    schema_ref: DARWIN_SCHEMA_REF,
    item: {
      name,
      path: '/',
      source_info: {
        item_id: randomUUID(),
        dataset: { name: 'V7 set', slug: 'v7-set', dataset_management_url: 'https://darwin.v7labs.com/datasets/1/dataset-management' },
        team: { name: 'Team', slug: 'team' },
        workview_url: 'https://darwin.v7labs.com/workview?dataset=1&item=x',
      },
      slots: [{ type: 'image', slot_name: '0', width: 1920, height: 1080, thumbnail_url: 'https://x/t', source_files: [{ file_name: name, url: 'https://x/f' }] }],
    },
    annotations,
  };
}

const unsupported = [
  { id: randomUUID(), name: 'seg', slot_names: ['0'], mask: { sparse_rle: null } },
  { id: randomUUID(), name: '__raster_layer__', slot_names: ['0'], raster_layer: { dense_rle: [0, 10], mask_annotation_ids_mapping: {}, total_pixels: 10 } },
  { id: randomUUID(), name: 'pose', slot_names: ['0'], skeleton: { nodes: [] } },
  { id: randomUUID(), name: 'box3d', slot_names: ['0'], cuboid: { back: {}, front: {} } },
  { id: randomUUID(), name: 'box3d', slot_names: ['0'], cuboid: { back: {}, front: {} } },
];

describe('Darwin JSON 2.0 import and export', () => {
  let db: TestDatabase;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let s: Booted;
  let datasetId: string;

  beforeAll(async () => {
    db = await createTestDatabase('items_darwin');
    ({ nc, jsm } = await connectTestNats());
    s = await bootItems(db);
    datasetId = (await s.call('POST', '/datasets', { name: 'Darwin', slug: 'darwin' })).json.id as string;
  });

  afterAll(async () => {
    await s.app.close();
    await deleteStreams(jsm, [s.ns.streamName('ITEMS'), s.ns.streamName('WORKFLOW'), s.ns.streamName('DEADLETTER')]);
    await nc.drain();
    await db.drop();
  });

  async function register(names: string[]): Promise<string[]> {
    const r = await s.call('POST', '/items', { datasetId, items: names.map((name) => ({ name, width: 1920, height: 1080, sourceUrl: 'https://img.example.com/x.jpg' })) });
    expect(r.status).toBe(201);
    return r.json.items.map((i: { id: string }) => i.id) as string[];
  }

  it('round-trips every supported shape and lists unsupported ones as skipped', async () => {
    const [itemId] = await register(['round.jpg']);
    const anns = supported();
    const imp = await s.call('POST', `/items/${itemId}/darwin`, v7Document('round.jpg', [...anns, ...unsupported]));
    expect(imp.status).toBe(200);
    expect(imp.json).toMatchObject({ itemId, imported: anns.length, skipped: { mask: 1, raster_layer: 1, skeleton: 1, cuboid: 2 } });

    const exp = await s.call('GET', `/items/${itemId}/darwin`);
    expect(exp.status).toBe(200);
    expect(exp.json.annotations).toEqual(anns);
    expect(exp.json.item).toMatchObject({ name: 'round.jpg', path: '/', source_info: { item_id: itemId, dataset: { name: 'Darwin', slug: 'darwin' } } });
  });

  it('exports documents that conform to the Darwin JSON 2.0 rules', async () => {
    const [itemId] = await register(['conform.jpg']);
    // Ids generated by us, a polygon given without its box: the export must still conform.
    await s.call('POST', `/items/${itemId}/annotations/bulk`, {
      annotations: [
        { name: 'p', polygon: { paths: [[{ x: 1, y: 1 }, { x: 9, y: 1 }, { x: 5, y: 7 }]] } },
        { name: 'b', bounding_box: { x: 1, y: 1, w: 2, h: 2 } },
        { name: 't', tag: {} },
      ],
    });
    const doc = (await s.call('GET', `/items/${itemId}/darwin`)).json;
    expect(darwinConformanceProblems(doc)).toEqual([]);
    expect(doc.schema_ref).toMatch(/^http/);
    for (const a of doc.annotations as DarwinAnnotation[]) {
      expect(a.id).toHaveLength(36);
      expect(a.slot_names).toEqual(['0']);
    }
    expect((doc.annotations as DarwinAnnotation[])[0].bounding_box).toEqual({ x: 1, y: 1, w: 8, h: 6 });
    // The conformance check itself catches what it claims to.
    expect(darwinConformanceProblems({ ...doc, annotations: [{ id: 'x', name: 'p', slot_names: ['0'], polygon: { paths: [[]] } }] })).toEqual(
      expect.arrayContaining([expect.stringContaining('UUID'), expect.stringContaining('bounding_box')]),
    );
  });

  it('refuses an import with bad geometry, naming the field by its index in the document, and writes nothing', async () => {
    const [itemId] = await register(['badimport.jpg']);
    const anns = supported();
    const bad = { id: randomUUID(), name: 'x', slot_names: ['0'], keypoint: { x: 1, y: 1 }, tag: {} };
    const r = await s.call('POST', `/items/${itemId}/darwin`, v7Document('badimport.jpg', [unsupported[0], ...anns, bad]));
    expect(r.status).toBe(400);
    expect(r.json.fields).toEqual([expect.objectContaining({ path: `annotations[${anns.length + 1}]` })]);
    expect((await s.call('GET', `/items/${itemId}/darwin`)).json.annotations).toEqual([]);
    expect((await s.call('POST', `/items/${itemId}/darwin`, { version: '1.0', annotations: [] })).status).toBe(400);
  });

  it('imports many documents into a dataset by item name, all checked before any is written', async () => {
    const [a, b] = await register(['bulk-a.jpg', 'bulk-b.jpg']);
    const missing = await s.call('POST', `/datasets/${datasetId}/darwin`, {
      documents: [v7Document('bulk-a.jpg', supported()), v7Document('nope.jpg', [])],
    });
    expect(missing.status).toBe(400);
    expect(missing.json.fields[0].path).toBe('documents[1].item.name');
    const ok = await s.call('POST', `/datasets/${datasetId}/darwin`, {
      documents: [v7Document('bulk-a.jpg', supported()), v7Document('bulk-b.jpg', [...supported().slice(0, 2), unsupported[0]])],
    });
    expect(ok.status).toBe(200);
    expect(ok.json.results.map((x: { itemId: string; imported: number }) => [x.itemId, x.imported])).toEqual([
      [a, 6],
      [b, 2],
    ]);
    expect(ok.json.results[1].skipped).toEqual({ mask: 1 });

    // A bad annotation in the second document: the first document's item is not touched either.
    const [c, d] = await register(['bulk-c.jpg', 'bulk-d.jpg']);
    const bad = await s.call('POST', `/datasets/${datasetId}/darwin`, {
      documents: [v7Document('bulk-c.jpg', supported()), v7Document('bulk-d.jpg', [unsupported[0], { id: randomUUID(), name: 'k', keypoint: { x: 1, y: Number.MAX_VALUE } }])],
    });
    expect(bad.status).toBe(400);
    expect(bad.json.fields[0].path).toBe('documents[1].annotations[1].keypoint.y');
    for (const id of [c, d]) expect((await s.call('GET', `/items/${id}?annotations=true`)).json.annotations).toEqual([]);
  });
});
