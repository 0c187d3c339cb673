import { describe, expect, it } from '@jest/globals';
import { sameJson } from '../src/index.js';

describe('sameJson', () => {
  it('ignores the order of keys at any depth, and keys whose value is undefined', () => {
    const sent = { name: 'car', bounding_box: { x: 1, y: 2, w: 3, h: 4 }, slot_names: ['0'], note: undefined };
    const stored = { name: 'car', slot_names: ['0'], bounding_box: { h: 4, w: 3, x: 1, y: 2 } };
    expect(sameJson(sent, stored)).toBe(true);
  });

  it('tells apart different values, array orders and missing keys', () => {
    expect(sameJson({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
    expect(sameJson({ a: 1, b: 2 }, { a: 1 })).toBe(false);
    expect(sameJson({ a: null }, { a: 0 })).toBe(false);
    expect(sameJson({ a: { b: 1 } }, { a: { b: '1' } })).toBe(false);
  });
});
