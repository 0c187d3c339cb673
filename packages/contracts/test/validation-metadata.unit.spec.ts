import { describe, expect, it, jest } from '@jest/globals';
import { getMetadataStorage, IsString, MetadataStorage, registerDecorator, validateSync } from 'class-validator';
import { memoizeValidationMetadata } from '../src/index.js';

/** A rule as class-validator stores one; the lookup only reads these fields. */
const rule = (target: object, propertyName: string, groups: string[] = []) => ({ type: 'customValidation', target, propertyName, constraints: [], groups, always: undefined });

describe('memoizeValidationMetadata', () => {
  it('asks class-validator once per class and options, until a rule is added', () => {
    class Base {}
    class Child extends Base {}
    const storage = new MetadataStorage();
    storage.addValidationMetadata(rule(Base, 'a') as never);
    const lookup = jest.spyOn(storage, 'getTargetValidationMetadatas');
    memoizeValidationMetadata(storage);
    memoizeValidationMetadata(storage); // once only: a second call does not wrap the wrapper

    const first = storage.getTargetValidationMetadatas(Child, '', false, false);
    const again = storage.getTargetValidationMetadatas(Child, '', false, false);
    expect(lookup).toHaveBeenCalledTimes(1);
    expect(first.map((m) => m.propertyName)).toEqual(['a']);
    expect(again).toEqual(first);
    expect(again).not.toBe(first); // each caller gets its own list

    // Other options are another answer.
    storage.getTargetValidationMetadatas(Child, '', false, false, ['g']);
    expect(lookup).toHaveBeenCalledTimes(2);

    // A rule added later is seen by the next lookup.
    storage.addValidationMetadata(rule(Child, 'b') as never);
    expect(
      storage
        .getTargetValidationMetadatas(Child, '', false, false)
        .map((m) => m.propertyName)
        .sort(),
    ).toEqual(['a', 'b']);
    expect(lookup).toHaveBeenCalledTimes(3);
  });

  it('is on for the process (the package memoizes on load), and validation still sees a rule registered after a first validation', () => {
    class Late {
      @IsString()
      name!: string;
      code!: string;
    }
    expect(getMetadataStorage().getTargetValidationMetadatas).not.toBe(MetadataStorage.prototype.getTargetValidationMetadatas);
    const value = Object.assign(new Late(), { name: 'n', code: 'lower' });
    expect(validateSync(value)).toHaveLength(0);
    registerDecorator({
      name: 'isUpper',
      target: Late,
      propertyName: 'code',
      validator: { validate: (v: unknown) => typeof v === 'string' && v === v.toUpperCase(), defaultMessage: () => 'code must be upper case' },
    });
    expect(validateSync(value).map((e) => e.property)).toEqual(['code']);
    expect(validateSync(Object.assign(new Late(), { name: 1, code: 'UP' })).map((e) => e.property)).toEqual(['name']);
  });
});
