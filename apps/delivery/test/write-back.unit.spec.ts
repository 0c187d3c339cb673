import { describe, expect, it } from '@jest/globals';
import { readWriteBack, WRITE_BACK_MAX_BYTES } from '../src/domain/write-back.js';

const NEW_ID = '99999999-9999-4999-8999-999999999999';
const read = (body: string, truncated = false) => readWriteBack(body, { truncated, newId: () => NEW_ID });

describe('reading a write-back response body', () => {
  it('takes a Darwin JSON 2.0 document and gives annotations without an id one, keeping the rest as sent', () => {
    const r = read(
      JSON.stringify({
        version: '2.0',
        item: { name: 'a.jpg' },
        annotations: [
          { name: 'urgent', tag: {} },
          { name: 'car', slot_names: ['left'], bounding_box: { x: 1, y: 2, w: 3, h: 4 }, inference: { confidence: 0.9 } },
        ],
      }),
    );
    expect(r).toEqual({
      ok: true,
      annotations: [
        { id: NEW_ID, name: 'urgent', tag: {} },
        { id: NEW_ID, name: 'car', slot_names: ['left'], bounding_box: { x: 1, y: 2, w: 3, h: 4 }, inference: { confidence: 0.9 } },
      ],
    });
  });

  it('takes a bare {"annotations": []} (the model found nothing)', () => {
    expect(read('{"annotations":[]}')).toEqual({ ok: true, annotations: [] });
  });

  it.each([
    ['not JSON', 'OK', 'not JSON'],
    ['an array', '[]', 'JSON object'],
    ['no annotations', '{"ok":true}', 'annotations must be an array'],
    ['another Darwin version', '{"version":"1.0","annotations":[]}', 'version must be "2.0"'],
    ['an annotation without a name', '{"annotations":[{"tag":{}}]}', 'annotations[0].name'],
    ['an annotation with two shapes', '{"annotations":[{"name":"x","tag":{},"keypoint":{"x":1,"y":1}}]}', 'annotations[0]'],
  ])('refuses %s with the reason', (_what, body, reason) => {
    const r = read(body);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain(reason);
  });

  it('refuses a body over the bound, or one the sender cut at it', () => {
    const big = JSON.stringify({ annotations: [{ name: 'x'.repeat(WRITE_BACK_MAX_BYTES), tag: {} }] });
    expect(read(big)).toEqual({ ok: false, reason: expect.stringContaining('larger than') });
    expect(read('{"annotations":[]}', true)).toEqual({ ok: false, reason: expect.stringContaining('larger than') });
  });
});
