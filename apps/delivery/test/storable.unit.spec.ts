import { describe, expect, it } from '@jest/globals';
import { MAX_HEADERS, storableHeaders, storableText } from '../src/domain/storable.js';

describe('storable text for the attempt log', () => {
  it('makes NUL visible and lone surrogates replacement characters, keeping pairs', () => {
    expect(storableText('a\u0000b')).toBe('a\u2400b');
    expect(storableText('x\uD800y\uDC00z')).toBe('x\uFFFDy\uFFFDz');
    expect(storableText('ok \uD83D\uDE00')).toBe('ok \uD83D\uDE00');
  });

  it('bounds long values, the note included, without leaving half a pair', () => {
    const text = `${'a'.repeat(20)}${'\uD83D\uDE00'.repeat(10)}tail`;
    for (let max = 25; max < 44; max++) {
      const cut = storableText(text, max);
      expect(cut.length).toBeLessThanOrEqual(max);
      expect(cut).toMatch(/…\[\d+ more characters\]$/);
      expect(cut).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
    }
  });

  it('bounds header count and values', () => {
    const many = Object.fromEntries(Array.from({ length: MAX_HEADERS + 5 }, (_, i) => [`x-${i}`, 'v'.repeat(10_000)]));
    const out = storableHeaders(many)!;
    expect(Object.keys(out)).toHaveLength(MAX_HEADERS + 1);
    expect(out['x-stagehook-omitted-headers']).toBe('5');
    expect(out['x-0'].length).toBeLessThan(4_200);
  });
});
