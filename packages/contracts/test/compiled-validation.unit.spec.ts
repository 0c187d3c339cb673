import { describe, expect, it } from '@jest/globals';
import { Expose, plainToInstance, Transform, Type } from 'class-transformer';
import {
  ArrayNotEmpty,
  getMetadataStorage,
  IsArray,
  IsIn,
  IsInt,
  IsISO8601,
  IsObject,
  IsOptional,
  IsString,
  registerDecorator,
  validateSync,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import fc from 'fast-check';
import { acceptor } from '../src/compiled-validation.js';
import { EventCatalog, validateEventData } from '../src/index.js';

type Class = new () => object;
type Rule = ReturnType<ReturnType<typeof getMetadataStorage>['getTargetValidationMetadatas']>[number];

/** What validate.ts asked class-validator before the compiled check: the reference. */
const classValidatorAccepts = (cls: Class, plain: unknown): boolean => validateSync(plainToInstance(cls, plain), { forbidUnknownValues: true, whitelist: false }).length === 0;

const storage = getMetadataStorage();
const nameOf = (r: Rule) => storage.getTargetValidatorConstraints(r.constraintCls)[0]?.name;
const junk = fc.oneof(fc.constant(null), fc.integer(), fc.double(), fc.string({ maxLength: 3 }), fc.boolean(), fc.constant([]), fc.constant({}), fc.constant(['a', 1]));
/** Keys class-transformer does not copy (an own `__proto__` from JSON.parse would otherwise set the copy's prototype). */
const oddKeys = fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty');

interface Values {
  /** What the property's rules allow (most of the time: rules of other properties may still refuse). */
  valid: fc.Arbitrary<unknown>;
  /** Near what they allow, at and past each bound, or anything. */
  any: fc.Arbitrary<unknown>;
}

/** Values allowed and nearly allowed by one property's checks (`each` ones: an array's elements). */
function checksOf(rules: Rule[], element?: Values): Values {
  const byName = new Map(rules.map((r) => [nameOf(r), r]));
  const arg = (name: string, i = 0) => byName.get(name)?.constraints?.[i] as number | undefined;
  const valid: fc.Arbitrary<unknown>[] = [];
  const near: fc.Arbitrary<unknown>[] = [junk];
  if (byName.has('isIn')) valid.push(fc.constantFrom(...(byName.get('isIn')!.constraints[0] as unknown[])));
  if (byName.has('isString') || byName.has('isBase64')) {
    const max = Math.min(arg('maxLength') ?? arg('isLength', 1) ?? 40, 4096);
    const min = arg('isLength') ?? 0;
    const pattern = byName.get('matches')?.constraints[0] as RegExp | undefined;
    const base = byName.has('isBase64')
      ? fc.base64String({ maxLength: Math.min(max, 40) })
      : pattern
        ? fc.stringMatching(pattern, { size: 'small' })
        : fc.string({ minLength: min, maxLength: Math.min(max, 40) });
    valid.push(base.filter((x) => x.length >= min && x.length <= max));
    near.push(base, fc.constantFrom('', 'a'.repeat(max), 'a'.repeat(max + 1), '-a', 'a b', 'é', 'a\n'));
  }
  if (byName.has('isInt')) {
    const min = arg('min') ?? -1_000;
    const max = arg('max') ?? 1_000_000;
    valid.push(fc.integer({ min, max: Math.min(max, 2 ** 31 - 1) }));
    near.push(fc.constantFrom(min - 1, min, max, max + 1, 1.5, '1'));
  }
  if (byName.has('isNumber')) {
    valid.push(fc.double({ noNaN: true, noDefaultInfinity: true }));
    near.push(fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, '1'));
  }
  if (byName.has('isBoolean')) valid.push(fc.boolean());
  if (byName.has('isIso8601')) {
    valid.push(fc.date({ noInvalidDate: true, min: new Date(0), max: new Date(4e12) }).map((d) => d.toISOString()));
    near.push(fc.constantFrom('2026-12-01', '2026-02-30T00:00:00Z', '2026-12-01 16:40', 'yesterday'));
  }
  if (byName.has('isUrl')) {
    valid.push(fc.webUrl());
    near.push(fc.constantFrom('http://127.0.0.1:4000/x', 'not a url', 'ftp://x.y/z', 'http://'));
  }
  if (byName.has('isUuid')) valid.push(fc.uuid());
  if (byName.has('isObject')) valid.push(fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }));
  if (byName.has('isArray') && element) {
    const max = arg('arrayMaxSize') ?? 4;
    const min = arg('arrayMinSize') ?? 0;
    valid.push(fc.array(element.valid, { minLength: min, maxLength: Math.max(min, Math.min(max, 3)) }));
    near.push(fc.array(fc.oneof(element.valid, element.any), { maxLength: Math.min(max + 1, 6) }));
  } else if (element) {
    valid.push(element.valid);
    near.push(element.any);
  }
  const validOne = valid.length > 0 ? fc.oneof(...valid) : fc.jsonValue({ maxDepth: 1 });
  return { valid: validOne, any: fc.oneof(validOne, ...near) };
}

/** Values for one property, read off its rules; nested classes recurse to `depth`. */
function valueFor(cls: Class, rules: Rule[], depth: number): Values {
  const checks = rules.filter((r) => r.type === 'customValidation' || r.type === 'isDefined');
  const nested = rules.find((r) => r.type === 'nestedValidation');
  // The element class, as class-transformer's @Type makes it.
  const typed = nested && (plainToInstance(cls, { [nested.propertyName]: {} }) as Record<string, object | undefined>)[nested.propertyName]?.constructor;
  const inner = typed && typed !== Object && depth > 0 ? objectOf(typed as Class, depth - 1) : undefined;
  const eachChecks = checks.filter((r) => r.each);
  const element = inner ?? (eachChecks.length > 0 ? checksOf(eachChecks) : { valid: fc.jsonValue({ maxDepth: 1 }), any: junk });
  const own = checksOf(
    checks.filter((r) => !r.each),
    checks.some((r) => nameOf(r) === 'isArray') || inner ? element : undefined,
  );
  // IsOptional, and ValidateIf((_o, v) => v !== null): absent or null may be what is meant.
  const conditional = rules.some((r) => r.type === 'conditionalValidation');
  return conditional ? { valid: fc.oneof(own.valid, fc.constant(null), fc.constant(undefined)), any: own.any } : own;
}

/** Objects of `cls`: with every property as its rules allow, or each present or not, and sometimes an unknown or odd key. */
function objectOf(cls: Class, depth: number): Values {
  const grouped = storage.groupByPropertyName(storage.getTargetValidationMetadatas(cls, '', false, false, undefined));
  const fields = Object.entries(grouped).map(([name, rules]) => [name, valueFor(cls, rules, depth)] as const);
  const valid = fc.record(Object.fromEntries(fields.map(([name, v]) => [name, v.valid])));
  const mixed = fc.record(Object.fromEntries(fields.map(([name, v]) => [name, v.any])), { requiredKeys: [] });
  // An odd or unknown key on an otherwise valid object.
  const withKey = fc.tuple(fc.oneof(valid, mixed), fc.oneof(oddKeys, fc.constant('extra')), fc.oneof(junk, fc.constant({ a: 1 }))).map(([o, key, value]) => {
    Object.defineProperty(o, key, { value, enumerable: true, configurable: true, writable: true });
    return o;
  });
  const any = fc.oneof({ arbitrary: mixed, weight: 3 }, { arbitrary: withKey, weight: 1 });
  return { valid, any: fc.oneof({ arbitrary: valid, weight: 2 }, { arbitrary: any, weight: 2 }) };
}

/** As a consumer gets it off the bus. */
const asJson = (v: unknown): unknown => JSON.parse(JSON.stringify(v) ?? 'null') as unknown;
describe('compiled event-data checks', () => {
  const catalogue = Object.entries(EventCatalog).map(([type, spec]) => ({ type, cls: spec.dataClass }));

  it('compiles every class of the catalogue (none is left to class-validator alone)', () => {
    expect(catalogue.filter(({ cls }) => acceptor(cls) === undefined).map(({ type }) => type)).toEqual([]);
  });

  it.each(catalogue)('accepts exactly what class-validator accepts: $type', ({ cls }) => {
    const accept = acceptor(cls)!;
    let accepted = 0;
    fc.assert(
      fc.property(objectOf(cls, 2).any, (generated) => {
        const plain = asJson(generated);
        const reference = classValidatorAccepts(cls, plain);
        const compiled = accept(plain as object);
        if (compiled) accepted++;
        expect(compiled).toBe(reference);
        // validateEventData answers as class-validator alone did.
        expect(validateEventData(catalogue.find((c) => c.cls === cls)!.type, plain).ok).toBe(reference);
      }),
      { numRuns: 300 },
    );
    // The generator reaches valid data: the comparison is not only over refusals.
    expect(accepted).toBeGreaterThan(0);
  });

  it('refuses what is not a plain object, for class-validator to describe', () => {
    const cls = EventCatalog['item.status.changed'].dataClass as Class;
    const accept = acceptor(cls)!;
    const valid = fc.sample(objectOf(cls, 1).valid, { numRuns: 200, seed: 15 }).find((o) => classValidatorAccepts(cls, asJson(o))) as Record<string, unknown>;
    expect(accept(valid)).toBe(true);
    // class-transformer copies own keys only: an inherited value is missing from its instance.
    const { itemId, ...rest } = valid;
    const inherited = Object.assign(Object.create({ itemId }) as object, rest);
    expect(classValidatorAccepts(cls, inherited)).toBe(false);
    for (const v of [inherited, null, 1, 'x', [], [valid]]) expect(accept(v as object)).toBe(false);
  });

  /** class-validator refuses `plain`, and the compiled check does not accept it (or is not compiled). */
  const leftToClassValidator = (cls: Class, plain: unknown) => {
    expect(classValidatorAccepts(cls, plain)).toBe(false);
    expect(acceptor(cls)?.(plain as object) ?? false).toBe(false);
  };

  it('leaves classes whose instances differ from their plain objects to class-validator', () => {
    class Dated {
      // class-transformer makes a Date of the string, which IsISO8601 then refuses.
      @Type(() => Date) @IsISO8601() at!: string;
    }
    leftToClassValidator(Dated, { at: '2026-12-01T00:00:00Z' });
    class Transformed {
      @Transform(({ value }) => (typeof value === 'string' ? value : 1)) @IsString() name!: string;
    }
    leftToClassValidator(Transformed, { name: 2 });
    class Renamed {
      @IsString() itemId!: string;
      // An unvalidated property that takes the validated one's key: the instance's itemId stays empty.
      @Expose({ name: 'itemId' }) legacy?: string;
    }
    leftToClassValidator(Renamed, { itemId: 'abc' });
    class Strict {
      // An initialiser read by a condition, on a property that has no rule of its own.
      mode = 'strict';
      @ValidateIf((o: Strict) => o.mode === 'strict') @IsString() name!: string;
    }
    leftToClassValidator(Strict, { name: 1 });
    class A {
      @IsInt() n!: number;
    }
    class B {
      @IsString() n!: string;
    }
    class Poly {
      // A type function that reads the object may name another class for each object.
      @ValidateNested() @Type((o) => ((o?.object as { kind?: string } | undefined)?.kind === 'a' ? A : B)) child!: A | B;
    }
    leftToClassValidator(Poly, { kind: 'a', child: { n: 'x' } });
    const SENTINEL = { v: 1 };
    class Ident {
      // The copy of an object is never the object.
      @IsIn([SENTINEL]) ref!: object;
    }
    leftToClassValidator(Ident, { ref: SENTINEL });
    class WithMethod {
      @IsString() name!: string;
      describe(): string {
        return this.name;
      }
    }
    class Untyped {
      @IsOptional() @ValidateNested() child?: object;
    }
    class Throwing {
      @ValidateNested()
      @Type(() => {
        throw new Error('not yet');
      })
      child!: object;
    }
    class Custom {
      @IsString() name!: string;
    }
    registerDecorator({ name: 'startsWithA', target: Custom, propertyName: 'name', validator: { validate: (v: unknown) => typeof v === 'string' && v.startsWith('a') } });
    for (const cls of [Dated, Transformed, Renamed, Strict, Poly, Ident, WithMethod, Untyped, Throwing, Custom]) expect(acceptor(cls)).toBeUndefined();
  });

  it('accepts only values whose copy looks the same to a check (data built in code)', () => {
    class Meta {
      @IsObject() meta!: object;
    }
    leftToClassValidator(Meta, { meta: new Set([1]) }); // class-transformer makes an array of a Set
    class Tags {
      @IsArray() @ArrayNotEmpty() @IsString({ each: true }) tags!: string[];
    }
    leftToClassValidator(Tags, { tags: new Array<string>(3) }); // holes close up in the copy
    class Named {
      @IsString() name!: string;
    }
    leftToClassValidator(Named, Object.defineProperty({}, 'name', { value: 'x', enumerable: false }));
    expect(acceptor(Tags)!({ tags: ['a'] })).toBe(true);
  });

  it('compiles a class again when a rule is added to it later', () => {
    class Late {
      @IsString() name!: string;
    }
    expect(acceptor(Late)!({ name: 'b' })).toBe(true);
    IsOptional()(Late.prototype, 'other');
    IsString()(Late.prototype, 'other');
    expect(acceptor(Late)!({ name: 'b', other: 1 })).toBe(false);
    expect(classValidatorAccepts(Late, { name: 'b', other: 1 })).toBe(false);
    // class-transformer's decorators too: the value is a number once converted.
    Type(() => Number)(Late.prototype, 'name');
    leftToClassValidator(Late, { name: '1' });
  });
});
