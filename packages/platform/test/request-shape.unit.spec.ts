import { describe, expect, it } from '@jest/globals';
import { Type } from 'class-transformer';
import { IsInt, IsString, Min, ValidateNested, validateSync } from 'class-validator';
import { plainToInstance } from 'class-transformer';
import { inspectShape, MAX_BODY_DEPTH } from '../src/http/request-shape.js';
import { flattenValidationErrors } from '../src/validation/validation.js';

function nested(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
}

describe('inspectShape', () => {
  it('finds text PostgreSQL cannot store (NUL, unpaired surrogates) in values and keys, with its path', () => {
    expect(inspectShape(JSON.parse('{"a":[{"b":"x\\u0000y"}]}'), 'body')).toEqual({ kind: 'bad_text', where: 'body', path: 'a[0].b' });
    expect(inspectShape({ props: [{ name: '\ud800' }] }, 'body')).toEqual({ kind: 'bad_text', where: 'body', path: 'props[0].name' });
    expect(inspectShape({ ['k\udc00']: 1 }, 'body')).toMatchObject({ kind: 'bad_text' });
    expect(inspectShape('\u0000', 'body')).toEqual({ kind: 'bad_text', where: 'body', path: '' });
    expect(inspectShape({ ok: '😀 e\u0301 \ufeff' }, 'body')).toBeUndefined();
  });

  it('finds a __proto__ key parsed from JSON, with its path', () => {
    const body = JSON.parse('{"items":[{"meta":{"__proto__":{"polluted":true}}}]}') as unknown;
    expect(inspectShape(body, 'body')).toEqual({ kind: 'forbidden_key', where: 'body', path: 'items[0].meta.__proto__', key: '__proto__' });
  });

  it('finds constructor and prototype keys', () => {
    expect(inspectShape({ constructor: { prototype: {} } }, 'body')).toMatchObject({ key: 'constructor', path: 'constructor' });
    expect(inspectShape({ a: { prototype: 1 } }, 'body')).toMatchObject({ key: 'prototype', path: 'a.prototype' });
  });

  it('finds forbidden segments inside flat query keys', () => {
    expect(inspectShape({ 'filter[__proto__][x]': '1' }, 'query')).toMatchObject({ key: '__proto__', where: 'query' });
    expect(inspectShape({ 'a.constructor.prototype': '1' }, 'query')).toMatchObject({ key: 'constructor' });
    expect(inspectShape({ 'filter[__proto__]': '1' }, 'body')).toBeUndefined();
  });

  it('accepts ordinary values, including keys that merely contain the words', () => {
    expect(inspectShape({ proto: 1, constructorName: 'x', items: [{ a: [1, 2, { b: null }] }] }, 'body')).toBeUndefined();
    expect(inspectShape(undefined, 'body')).toBeUndefined();
    expect(inspectShape('text', 'body')).toBeUndefined();
  });

  it(`accepts ${MAX_BODY_DEPTH} levels of nesting and refuses one more`, () => {
    expect(inspectShape(nested(MAX_BODY_DEPTH), 'body')).toBeUndefined();
    expect(inspectShape(nested(MAX_BODY_DEPTH + 1), 'body')).toMatchObject({ kind: 'too_deep' });
  });

  it('walks a hostile depth without overflowing the stack', () => {
    const json = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    expect(inspectShape(JSON.parse(json), 'body')).toMatchObject({ kind: 'too_deep' });
  });
});

class Size {
  @IsInt() @Min(1) width!: number;
}
class Item {
  @IsString() name!: string;
  @ValidateNested() @Type(() => Size) size!: Size;
}
class Batch {
  @ValidateNested({ each: true }) @Type(() => Item) items!: Item[];
  @ValidateNested() @Type(() => Item) ['odd key']!: Item;
}

describe('flattenValidationErrors', () => {
  it('writes array indexes and nested properties the way a client addresses them', () => {
    const batch = plainToInstance(Batch, {
      items: [
        { name: 'a', size: { width: 1 } },
        { name: 3, size: { width: 0 } },
      ],
      'odd key': { name: 'x', size: { width: -1 } },
    });
    const fields = flattenValidationErrors(validateSync(batch));
    expect(fields).toEqual([
      { path: 'items[1].name', messages: ['name must be a string'] },
      { path: 'items[1].size.width', messages: ['width must not be less than 1'] },
      { path: '["odd key"].size.width', messages: ['width must not be less than 1'] },
    ]);
  });
});
