import { describe, expect, it } from '@jest/globals';
import { DARWIN_SCHEMA_REF, darwinConformanceProblems, darwinMainShape, type DarwinDocument } from '../src/darwin.js';

const doc = (annotations: unknown[]): DarwinDocument =>
  ({
    version: '2.0',
    schema_ref: DARWIN_SCHEMA_REF,
    item: {
      name: 'a.jpg',
      path: '/',
      source_info: { item_id: 'i1', dataset: { name: 'D', slug: 'd' }, team: { name: 't', slug: 't' }, workview_url: 'http://x/w/i1' },
      slots: [{ type: 'image', slot_name: '0', width: 10, height: 10, source_files: [{ file_name: 'a.jpg' }] }],
    },
    annotations,
  }) as DarwinDocument;

const id = '8a0d5a6e-2b8f-4c1e-9d4e-1f2a3b4c5d6e';

describe('Darwin JSON 2.0 conformance', () => {
  it('accepts a polygon with its bounding box, and a tag', () => {
    const poly = {
      id,
      name: 'p',
      slot_names: ['0'],
      bounding_box: { x: 0, y: 0, w: 1, h: 1 },
      polygon: {
        paths: [
          [
            { x: 0, y: 0 },
            { x: 1, y: 0 },
            { x: 1, y: 1 },
          ],
        ],
      },
    };
    expect(darwinConformanceProblems(doc([poly, { id: id.replace('8', '9'), name: 't', slot_names: ['0'], tag: {} }]))).toEqual([]);
  });

  it('names each broken rule', () => {
    const problems = darwinConformanceProblems({
      ...doc([
        { id: 'short', name: 'x', slot_names: ['0'], keypoint: { x: 1, y: 1 } },
        { id, name: '', slot_names: [], keypoint: { x: 1, y: 1 }, tag: {} },
        { id, name: 'p', slot_names: ['0'], polygon: { paths: [[{ x: 0, y: 0 }]] } },
        { id, name: 'n', slot_names: ['9'] },
      ]),
      schema_ref: 'ftp://nope',
    });
    expect(problems).toEqual([
      'schema_ref must be a URL starting with http',
      'annotations[0].id must be a 36-character UUID',
      'annotations[1].name is missing',
      'annotations[1].slot_names is missing',
      'annotations[1] has more than one main shape (keypoint, tag)',
      'annotations[2].polygon needs a bounding_box',
      'annotations[3].slot_names names an unknown slot',
      'annotations[3] has no shape',
    ]);
  });

  it('treats a bounding box beside another shape as that shape’s box', () => {
    expect(darwinMainShape({ bounding_box: {}, ellipse: {} })).toBe('ellipse');
    expect(darwinMainShape({ bounding_box: {} })).toBe('bounding_box');
    expect(darwinMainShape({ mask: {} })).toBeUndefined();
  });
});
