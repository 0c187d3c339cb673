// Response bodies are untyped JSON (@stagehook/testing Json): reading their arrays is the point of these tests.
/* eslint-disable @typescript-eslint/no-unsafe-call */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DARWIN_SCHEMA_REF, darwinConformanceProblems, type DarwinAnnotation } from '@stagehook/contracts';
import { bootService, type BootedService } from '@stagehook/testing';
import * as platform from '@stagehook/platform';
import { itemsService } from './support.js';

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
          [
            { x: 0, y: 500 },
            { x: 400, y: 500 },
            { x: 400, y: 800 },
            { x: 0, y: 800 },
          ],
          [
            { x: 100, y: 600 },
            { x: 200, y: 600 },
            { x: 150, y: 700 },
          ],
        ],
      },
      text: { text: 'lane 1' },
      properties: [{ name: 'surface', value: 'asphalt', frame_index: 0 }],
      ...people,
    },
    // Slightly outside the 1920×1080 image, as real exports are.
    {
      id: randomUUID(),
      name: 'horizon',
      slot_names: ['0'],
      bounding_box: { x: 0, y: -45, w: 1920, h: 0 },
      line: {
        path: [
          { x: 0, y: -45 },
          { x: 1920, y: -45 },
        ],
      },
      annotators: [],
      reviewers: [],
    },
    { id: randomUUID(), name: 'nose', slot_names: ['0'], keypoint: { x: 960.5, y: 540 } },
    {
      id: randomUUID(),
      name: 'wheel',
      slot_names: ['0'],
      bounding_box: { x: 90, y: 90, w: 20, h: 20 },
      ellipse: { center: { x: 100, y: 100 }, radius: { x: 10, y: 10 }, angle: 0.5 },
    },
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

/** Shapes Stagehook does not interpret: kept and exported as given. */
const unsupported = [
  { id: randomUUID(), name: 'seg', slot_names: ['0'], mask: { sparse_rle: null } },
  { id: randomUUID(), name: '__raster_layer__', slot_names: ['0'], raster_layer: { dense_rle: [0, 10], mask_annotation_ids_mapping: {}, total_pixels: 10 } },
  { id: randomUUID(), name: 'pose', slot_names: ['0'], skeleton: { nodes: [] } },
  { id: randomUUID(), name: 'box3d', slot_names: ['0'], cuboid: { back: {}, front: {} } },
  { id: randomUUID(), name: 'box3d', slot_names: ['0'], cuboid: { back: {}, front: {} } },
];

describe('Darwin JSON 2.0 import and export', () => {
  let s: BootedService<NestExpressApplication>;
  let datasetId: string;

  beforeAll(async () => {
    s = await bootService(platform, itemsService);
    datasetId = (await s.call('POST', '/datasets', { name: 'Darwin', slug: 'darwin' })).json.id as string;
  });

  afterAll(async () => {
    await s.close();
  });

  async function register(names: string[]): Promise<string[]> {
    const r = await s.call('POST', '/items', { datasetId, items: names.map((name) => ({ name, width: 1920, height: 1080, sourceUrl: 'https://img.example.com/x.jpg' })) });
    expect(r.status).toBe(201);
    return r.json.items.map((i: { id: string }) => i.id) as string[];
  }

  it('round-trips every supported shape and keeps the shapes it does not interpret as given', async () => {
    const [itemId] = await register(['round.jpg']);
    const anns = supported();
    const imp = await s.call('POST', `/items/${itemId}/darwin`, v7Document('round.jpg', [...anns, ...unsupported]));
    expect(imp.status).toBe(200);
    expect(imp.json).toMatchObject({ itemId, imported: anns.length + unsupported.length, keptOpaque: { mask: 1, raster_layer: 1, skeleton: 1, cuboid: 2 }, skipped: {} });

    const exp = await s.call('GET', `/items/${itemId}/darwin`);
    expect(exp.status).toBe(200);
    expect(exp.json.annotations).toEqual([...anns, ...unsupported]);
    expect(exp.json.item).toMatchObject({ name: 'round.jpg', path: '/', source_info: { item_id: itemId, dataset: { name: 'Darwin', slug: 'darwin' } } });
  });

  it('exports documents that conform to the Darwin JSON 2.0 rules', async () => {
    const [itemId] = await register(['conform.jpg']);
    // Ids generated by us, a polygon given without its box: the export must still conform.
    await s.call('POST', `/items/${itemId}/annotations/bulk`, {
      annotations: [
        {
          name: 'p',
          polygon: {
            paths: [
              [
                { x: 1, y: 1 },
                { x: 9, y: 1 },
                { x: 5, y: 7 },
              ],
            ],
          },
        },
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

  it('answers a bulk import without a body 400 naming documents (it was a 500, found by the hostile suite)', async () => {
    for (const body of [undefined, '[]']) {
      const res = await s.call('POST', `/datasets/${datasetId}/darwin`, body);
      expect([body, res.status]).toEqual([body, 400]);
      expect(JSON.stringify(res.json)).toContain('documents');
    }
    expect((await s.call('POST', `/datasets/${datasetId}/darwin`, 'null')).status).toBe(400);
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
      [b, 3],
    ]);
    expect(ok.json.results[1].keptOpaque).toEqual({ mask: 1 });

    // A bad annotation in the second document: the first document's item is not touched either.
    const [c, d] = await register(['bulk-c.jpg', 'bulk-d.jpg']);
    const bad = await s.call('POST', `/datasets/${datasetId}/darwin`, {
      documents: [v7Document('bulk-c.jpg', supported()), v7Document('bulk-d.jpg', [unsupported[0], { id: randomUUID(), name: 'k', keypoint: { x: 1, y: Number.MAX_VALUE } }])],
    });
    expect(bad.status).toBe(400);
    expect(bad.json.fields[0].path).toBe('documents[1].annotations[1].keypoint.y');
    for (const id of [c, d]) expect((await s.call('GET', `/items/${id}?annotations=true`)).json.annotations).toEqual([]);
  });

  it('keeps subtypes, video keys, item-level properties, source_info and keys of later format versions as given', async () => {
    const [itemId] = await register(['kept.jpg']);
    const polygonWithVector = {
      id: randomUUID(),
      name: 'arrow',
      slot_names: ['0'],
      // V7 writes the box with float rounding; it is kept, not recomputed.
      bounding_box: { x: 275.1268, y: 30.7501, w: 108.1345, h: 35.85509999999999 },
      polygon: {
        paths: [
          [
            { x: 336.0236, y: 30.7501 },
            { x: 304.7215, y: 64.8979 },
            { x: 383.2613, y: 66.6052 },
            { x: 275.1268, y: 34.734 },
          ],
        ],
      },
      directional_vector: { angle: -1.6494, length: 118.3181 },
      inference: { confidence: 0.87, model: { id: 'm1', name: 'detector', type: 'external' } },
      future_subtype: { anything: [1, 2, { deep: true }] },
    };
    const video = {
      id: randomUUID(),
      name: 'track',
      slot_names: ['0'],
      frames: { '1': { keyframe: true, bounding_box: { x: 1, y: 2, w: 3, h: 4 } }, '2': { keyframe: false, bounding_box: { x: 2, y: 2, w: 3, h: 4 } } },
      ranges: [[1, 3]],
      interpolated: true,
      interpolate_algorithm: 'linear-1.1',
      global_sub_types: {},
      properties: [],
    };
    const doc = {
      ...v7Document('kept.jpg', [polygonWithVector, video]),
      properties: [{ name: 'weather', value: 'rain' }],
      future_document_key: { v: 3 },
    };
    const imp = await s.call('POST', `/items/${itemId}/darwin`, doc);
    expect(imp.status).toBe(200);
    expect(imp.json.keptOpaque).toEqual({ frames: 1 });
    const exp = (await s.call('GET', `/items/${itemId}/darwin`)).json;
    expect(exp.annotations).toEqual([polygonWithVector, video]);
    expect(exp.properties).toEqual([{ name: 'weather', value: 'rain' }]);
    expect(exp.future_document_key).toEqual({ v: 3 });
    // source_info as given, except what locates the item: that names it in Stagehook.
    expect(exp.item.source_info).toEqual({
      item_id: itemId,
      dataset: { name: 'Darwin', slug: 'darwin', dataset_management_url: 'https://darwin.v7labs.com/datasets/1/dataset-management' },
      team: { name: 'proj-a', slug: 'proj-a' },
      workview_url: expect.stringContaining(itemId) as unknown,
    });
    expect(exp.item.slots[0]).toMatchObject({ slot_name: '0', type: 'image', width: 1920, height: 1080, source_files: [{ file_name: 'kept.jpg', url: 'https://x/f' }] });
    expect(darwinConformanceProblems(exp)).toEqual([]);
    // The same document again adds no item-level event and refuses the same annotation ids.
    expect((await s.call('POST', `/items/${itemId}/darwin`, { ...doc, annotations: [] })).json.version).toBe(imp.json.version);
  });

  it('names the project in source_info.team once the project has a name, as V7 names the team', async () => {
    const [itemId] = await register(['team.jpg']);
    expect((await s.call('GET', '/project')).json).toMatchObject({ id: 'proj-a', name: 'proj-a', slug: 'proj-a', updatedBy: null });
    // Exported once before the rename: exports keep the name they read for a second, and a
    // rename must still show in the very next one.
    expect((await s.call('GET', `/items/${itemId}/darwin`)).json.item.source_info.team).toEqual({ name: 'proj-a', slug: 'proj-a' });
    const bad = await s.call('PUT', '/project', { name: 'Acme Labs', slug: 'Not A Slug' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.json)).toContain('slug');
    const saved = await s.call('PUT', '/project', { name: 'Acme Labs' });
    expect(saved.status).toBe(200);
    expect(saved.json).toMatchObject({ id: 'proj-a', name: 'Acme Labs', slug: 'acme-labs', updatedBy: 'project:proj-a' });
    const exp = (await s.call('GET', `/items/${itemId}/darwin`)).json;
    expect(exp.item.source_info.team).toEqual({ name: 'Acme Labs', slug: 'acme-labs' });
    // Back to the id, so the other tests of this file see an unnamed project.
    await s.call('PUT', '/project', { name: 'proj-a', slug: 'proj-a' });
  });

  it('refuses malformed known keys, naming the field, and bounds what it keeps as given', async () => {
    const [itemId] = await register(['malformed.jpg']);
    const base = { id: randomUUID(), name: 'x', slot_names: ['0'] };
    const cases: [unknown, string][] = [
      [{ ...base, bounding_box: { x: 1, y: 1, w: 1, h: 1 }, directional_vector: { angle: 'up', length: 1 } }, 'annotations[0].directional_vector'],
      [{ ...base, mask: [] }, 'annotations[0].mask'],
      [{ ...base, frames: [{ bounding_box: {} }] }, 'annotations[0].frames'],
      [{ ...base, frames: {}, ranges: [[1]] }, 'annotations[0].ranges'],
      [{ ...base, bounding_box: { x: 1, y: 1, w: 1, h: 1 }, inference: { confidence: 7 } }, 'annotations[0].inference.confidence'],
      [{ ...base, tag: {}, skeleton: { nodes: [] } }, 'annotations[0].skeleton'],
      [{ ...base, slot_names: ['1'], tag: {} }, 'annotations[0].slot_names'],
      [{ ...base, tag: {}, future: 'y'.repeat(600 * 1024) }, 'annotations[0].future'],
      [{ ...base, tag: {}, future: JSON.parse('['.repeat(20) + ']'.repeat(20)) as unknown }, 'annotations[0].future'],
    ];
    for (const [annotation, field] of cases) {
      const r = await s.call('POST', `/items/${itemId}/darwin`, v7Document('malformed.jpg', [annotation]));
      expect([r.status, r.json.fields?.map((f: { path: string }) => f.path)]).toEqual([400, [field]]);
    }
    // Text PostgreSQL cannot store, anywhere in what is kept as given, is a 400 naming it, not a 500.
    const nul = await s.call('POST', `/items/${itemId}/darwin`, { ...v7Document('malformed.jpg', [{ ...base, tag: {}, future: 'a\u0000' }]), properties: [{ name: '\ud800' }] });
    expect([nul.status, nul.json.fields?.[0]?.path]).toEqual([400, expect.stringMatching(/^(annotations\[0\]\.future|properties\[0\]\.name)$/) as unknown]);
    const badDoc = await s.call('POST', `/items/${itemId}/darwin`, { ...v7Document('malformed.jpg', []), properties: 'sunny' });
    expect([badDoc.status, badDoc.json.fields?.[0]?.path]).toEqual([400, 'properties']);
    expect((await s.call('GET', `/items/${itemId}/darwin`)).json.annotations).toEqual([]);
  });

  it('registers items with several named slots and puts each annotation on its slot', async () => {
    const reg = await s.call('POST', '/items', {
      datasetId,
      items: [
        {
          name: 'multi',
          slots: [
            { name: 'image_1.jpg', type: 'image', width: 100, height: 100 },
            { name: 'ct', type: 'dicom' },
          ],
        },
      ],
    });
    expect(reg.status).toBe(201);
    const item = reg.json.items[0] as { id: string; slots: unknown[] };
    expect(item.slots).toHaveLength(2);
    const onFirst = { id: randomUUID(), name: 'a', bounding_box: { x: 1, y: 1, w: 2, h: 2 } };
    // The DICOM slot has no size: coordinates there are only checked to be finite.
    const onCt = { id: randomUUID(), name: 'b', slot_names: ['ct'], keypoint: { x: 5000, y: 5000 } };
    const imp = await s.call('POST', `/items/${item.id}/darwin`, { version: '2.0', annotations: [onFirst, onCt] });
    expect(imp.status).toBe(200);
    const exp = (await s.call('GET', `/items/${item.id}/darwin`)).json;
    expect(exp.item.slots.map((x: { slot_name: string; type: string }) => [x.slot_name, x.type])).toEqual([
      ['image_1.jpg', 'image'],
      ['ct', 'dicom'],
    ]);
    expect(exp.annotations).toEqual([{ ...onFirst, slot_names: ['image_1.jpg'] }, onCt]);
    const tooFar = await s.call('POST', `/items/${item.id}/darwin`, { version: '2.0', annotations: [{ name: 'c', keypoint: { x: 5000, y: 1 } }] });
    expect(tooFar.json.fields?.[0]?.path).toBe('annotations[0].keypoint.x');
    const mixed = await s.call('POST', '/items', { datasetId, items: [{ name: 'both', width: 10, height: 10, slots: [{ name: '0' }] }] });
    expect([mixed.status, mixed.json.fields?.[0]?.path]).toEqual([400, 'items[0].width']);
  });

  it('folds an item registered before items had slots (item.registered stored at schema version 1)', async () => {
    const { DataSource } = await import('typeorm');
    const { EventStore } = await import('@stagehook/event-store');
    const itemId = randomUUID();
    const v1 = {
      itemId,
      datasetId,
      projectId: 'proj-a',
      name: 'old.jpg',
      path: '/',
      slotType: 'image',
      width: 640,
      height: 480,
      sourceUrl: null,
      thumbnailUrl: null,
      metadata: {},
      registeredAt: '2026-01-01T00:00:00.000Z',
    };
    // As the event store wrote it before: the stream row and its one event, at schema version 1.
    await s.app.get(DataSource).transaction(async (tx) => {
      await tx.query(`INSERT INTO es_streams (stream_id, stream_type, version) VALUES ($1, 'item', 1)`, [`item-${itemId}`]);
      await tx.query(`INSERT INTO es_events (stream_id, stream_version, event_id, type, schema_version, data, metadata) VALUES ($1, 1, $2, 'item.registered', 1, $3, $4)`, [
        `item-${itemId}`,
        randomUUID(),
        JSON.stringify(v1),
        JSON.stringify({ source: 'items', projectId: 'proj-a' }),
      ]);
    });
    await s.app.get(EventStore).rebuildProjection('items_view');
    const item = (await s.call('GET', `/items/${itemId}`)).json;
    expect(item).toMatchObject({ slot: { type: 'image', width: 640, height: 480 }, slots: [{ name: '0', type: 'image', width: 640, height: 480 }] });
    const a = { id: randomUUID(), name: 'k', slot_names: ['0'], keypoint: { x: 600, y: 400 } };
    expect((await s.call('POST', `/items/${itemId}/darwin`, { version: '2.0', annotations: [a] })).status).toBe(200);
    const exp = (await s.call('GET', `/items/${itemId}/darwin`)).json;
    expect(exp.item.slots).toEqual([{ type: 'image', slot_name: '0', width: 640, height: 480, source_files: [{ file_name: 'old.jpg' }] }]);
    expect(exp.annotations).toEqual([a]);
  });
});
