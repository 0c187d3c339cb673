import 'reflect-metadata';
import { defaultMetadataStorage as transformerStorage } from 'class-transformer/cjs/storage.js';
import { getMetadataStorage, type ValidationArguments, type ValidatorConstraintInterface } from 'class-validator';
import { memoizeValidationMetadata, validationRulesGeneration } from './validation-metadata.js';

/*
 * Event data is validated on every bus message a service consumes, and `validateSync(
 * plainToInstance(cls, data))` spent most of its time around the checks rather than in them:
 * class-transformer's deep copy of the whole object, and class-validator's executor building an
 * error record and filtering the rules of every property, each time. `acceptor(cls)` asks
 * class-validator for the same rules once per class and runs the same check functions (the
 * decorators' own `validate`) straight on the plain object.
 *
 * It only ever says "valid": when it answers false, or when a class is not compiled at all, the
 * caller asks class-validator, which decides and describes what is wrong. So an acceptor must never
 * accept what class-validator refuses. It is compiled only for classes on which class-transformer
 * changes nothing a rule can see (see `compile`), and it accepts only values whose copy a check
 * cannot tell from the value (see `copiesAsIs`). A property test holds it equal to class-validator
 * over the catalogue's classes with JSON data, and fixed cases hold it refusing the rest.
 *
 * Assumed, as class-validator's own memo assumes: class-transformer's and class-validator's
 * decorators are applied when a class is defined. Rules added later are seen (both storages count
 * their additions); methods added to a prototype later are not.
 */

type AnyClass = abstract new (...args: never[]) => object;
type Rule = ReturnType<ReturnType<typeof getMetadataStorage>['getTargetValidationMetadatas']>[number];
/** `@IsOptional`, `@ValidateIf` and a rule's `validateIf` option: whether to look at the value. */
type Condition = (o: Readonly<Record<string, unknown>>, v: unknown) => boolean;

/**
 * class-validator's checks that look at the value alone (an `each` check: at each element), by the
 * names its decorators register. A custom decorator registered under one of these names is trusted
 * as the built-in one.
 */
const SHALLOW_CHECKS = new Set([
  'isDefined',
  'equals',
  'notEquals',
  'isEmpty',
  'isNotEmpty',
  'isIn',
  'isNotIn',
  'isBoolean',
  'isString',
  'isNumber',
  'isInt',
  'isObject',
  'isArray',
  'isEnum',
  'min',
  'max',
  'isPositive',
  'isNegative',
  'isLength',
  'minLength',
  'maxLength',
  'matches',
  'isIso8601',
  'isDateString',
  'isUrl',
  'isUuid',
  'isBase64',
  'isEmail',
  'isHexadecimal',
  'isNumberString',
  'arrayMinSize',
  'arrayMaxSize',
  'arrayNotEmpty',
]);
/** Checks that compare with their constraints by identity: a deep copy is never identical to an object constraint. */
const BY_IDENTITY = new Set(['equals', 'notEquals', 'isIn', 'isNotIn']);

interface CompiledRule {
  readonly rule: Rule;
  readonly validateIf: Condition | undefined;
  readonly each: boolean;
  readonly validators: readonly ValidatorConstraintInterface[];
}

interface CompiledProperty {
  readonly name: string;
  /** The class's name, as class-validator gives it to a check. */
  readonly targetName: string;
  readonly conditions: readonly Condition[];
  readonly rules: readonly CompiledRule[];
  /** `@ValidateNested` with `@Type(() => cls)`: the class its objects become. */
  readonly nested: AnyClass | undefined;
}

interface Compiled {
  /** The rules' generations it was compiled at: class-validator's, class-transformer's. */
  readonly rules: number;
  readonly transformers: number;
  readonly accept: ((plain: object) => boolean) | undefined;
}

const compiled = new WeakMap<AnyClass, Compiled>();

// Rules added to class-validator's storage are counted once it is memoized (validation-metadata.ts),
// class-transformer's here.
memoizeValidationMetadata();
let transformerAdditions = 0;
for (const add of ['addTypeMetadata', 'addTransformMetadata', 'addExposeMetadata', 'addExcludeMetadata']) {
  const original: unknown = Reflect.get(transformerStorage, add);
  if (typeof original !== 'function') continue; // transformerProperties then refuses every class
  Reflect.set(transformerStorage, add, (m: unknown) => {
    transformerAdditions++;
    Reflect.apply(original, transformerStorage, [m]);
  });
}

/**
 * The compiled check for `cls`: true only when class-validator, given `plainToInstance(cls,
 * plain)` with `forbidUnknownValues` and without `whitelist`, would find nothing wrong (false may
 * still be valid: ask class-validator). Undefined when the class is not compiled.
 */
export function acceptor(cls: AnyClass): ((plain: object) => boolean) | undefined {
  const rules = validationRulesGeneration();
  let entry = compiled.get(cls);
  if (entry?.rules !== rules || entry.transformers !== transformerAdditions) {
    const classes = new Map<AnyClass, CompiledProperty[]>();
    let ok: boolean;
    try {
      ok = compile(cls, classes, new Set());
    } catch {
      ok = false; // a constructor or a type function that throws: class-validator validates this class
    }
    entry = { rules, transformers: transformerAdditions, accept: ok ? acceptObjectOf(cls, classes) : undefined };
    compiled.set(cls, entry);
  }
  return entry.accept;
}

/**
 * Whether class-transformer's copy of `v` is what a shallow check would see in `v` itself: a JSON
 * value (null, a boolean, a number, a string, a plain object or an array) whose elements, if an
 * array, are JSON values too, without holes (a Set would become an array, holes would close up).
 * Anything else is left to class-validator.
 */
function copiesAsIs(v: unknown, depth = 0): boolean {
  if (v === null || v === undefined) return true;
  switch (typeof v) {
    case 'string':
    case 'number':
    case 'boolean':
      return true;
    case 'object':
      if (Array.isArray(v)) {
        if (depth > 0) return Object.getPrototypeOf(v) === Array.prototype;
        for (let i = 0; i < v.length; i++) if (!(i in v) || !copiesAsIs(v[i], 1)) return false;
        return Object.getPrototypeOf(v) === Array.prototype;
      }
      return Object.getPrototypeOf(v) === Object.prototype;
    default:
      return false;
  }
}

// class-transformer copies own enumerable properties only.
const isEnumerable = Object.prototype.propertyIsEnumerable;

function acceptObjectOf(cls: AnyClass, classes: ReadonlyMap<AnyClass, readonly CompiledProperty[]>): (plain: object) => boolean {
  // Loops rather than every(): this runs for each property of every event a service consumes.
  const passes = (validator: ValidatorConstraintInterface, v: unknown, args: ValidationArguments, each: boolean): boolean => {
    if (!each || !Array.isArray(v)) return validator.validate(v, args) === true;
    for (const x of v as unknown[]) if (validator.validate(x, args) !== true) return false;
    return true;
  };
  const acceptObject = (plain: unknown, c: AnyClass): boolean => {
    // A plain object, as JSON.parse makes them. class-transformer copies its own enumerable keys
    // (`__proto__` and `constructor` excepted, and no compiled property has such a name).
    if (typeof plain !== 'object' || plain === null || Array.isArray(plain) || Object.getPrototypeOf(plain) !== Object.prototype) return false;
    const o = plain as Readonly<Record<string, unknown>>;
    for (const p of classes.get(c)!) {
      const v = isEnumerable.call(o, p.name) ? o[p.name] : undefined;
      let skip = false;
      for (const cond of p.conditions) if (!cond(o, v)) skip = true;
      if (skip) continue;
      if (!copiesAsIs(v)) return false;
      for (const r of p.rules) {
        if (r.validateIf && !r.validateIf(o, v)) continue;
        const args: ValidationArguments = { targetName: p.targetName, property: p.name, object: o, value: v, constraints: r.rule.constraints as unknown[] };
        for (const validator of r.validators) if (!passes(validator, v, args, r.each)) return false;
      }
      if (p.nested && v !== undefined && !acceptNested(v, p.nested)) return false;
    }
    return true;
  };
  // class-validator's nested validation: an array's elements (arrays again, or objects of the
  // class), or one object of the class; anything else is refused.
  const acceptNested = (v: unknown, c: AnyClass): boolean => {
    if (!Array.isArray(v)) return acceptObject(v, c);
    for (const x of v as unknown[]) if (!acceptNested(x, c)) return false;
    return true;
  };
  return (plain) => {
    try {
      return acceptObject(plain, cls);
    } catch {
      return false; // class-validator decides, and says why
    }
  };
}

/**
 * Compiles `cls` (and the classes nested in it) into `classes`; false when a rule or the class's
 * shape is not compiled:
 * - class-transformer metadata on any property of the class or its ancestors other than a static
 *   `@Type(() => cls)` beside `@ValidateNested` (an `@Expose({ name })` moves a value to another
 *   key, `@Transform` or a `@Type` without nesting converts it, a `@Type` reading the object may
 *   name another class);
 * - a field initialiser, or a method or accessor on the prototype (class-transformer leaves such
 *   keys to the instance), or a Map or Set design type;
 * - groups, `always`, promises, async checks, checks outside SHALLOW_CHECKS, identity checks
 *   against objects, and nesting without `@Type`.
 */
function compile(cls: AnyClass, classes: Map<AnyClass, CompiledProperty[]>, compiling: Set<AnyClass>): boolean {
  if (classes.has(cls) || compiling.has(cls)) return true;
  compiling.add(cls);
  const storage = getMetadataStorage();
  const rules = storage.getTargetValidationMetadatas(cls, '', false, false, undefined);
  // forbidUnknownValues: an object of a class without rules is refused; class-validator says so.
  if (rules.length === 0 || transformerStorage.getStrategy(cls) !== 'none') return false;
  for (let proto: unknown = cls.prototype; proto !== null && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    if (Object.getOwnPropertyNames(proto).some((n) => n !== 'constructor')) return false;
  }
  const blank = Reflect.construct(cls, []) as Record<string, unknown>; // as class-transformer makes its instance
  if (Object.values(blank).some((v) => v !== undefined)) return false;
  const byName = storage.groupByPropertyName(rules);
  const transformed = transformerProperties(cls);
  if (!transformed || transformed.other.size > 0) return false;
  const typed = transformed.typed;
  const props: CompiledProperty[] = [];
  for (const [name, ownRules] of Object.entries(byName)) {
    if (name in Object.prototype) return false;
    const design: unknown = Reflect.getMetadata('design:type', cls.prototype as object, name);
    if (design === Map || design === Set) return false;
    const conditions: Condition[] = [];
    const checks: CompiledRule[] = [];
    let nested = false;
    for (const r of ownRules) {
      if ((r.groups && r.groups.length > 0) || r.always !== undefined) return false;
      if (r.type === 'conditionalValidation') conditions.push(r.constraints[0] as Condition);
      else if (r.type === 'nestedValidation') nested = true;
      else if (r.type === 'isDefined' || r.type === 'customValidation') {
        const c = compileRule(r);
        if (!c) return false;
        checks.push(c);
      } else if (r.type !== 'whitelistValidation') return false;
    }
    let nestedClass: AnyClass | undefined;
    if (nested) {
      const type = transformerStorage.findTypeMetadata(cls, name);
      // A type function of no argument names one class whatever the object holds.
      if (!type || type.options?.discriminator || type.typeFunction.length > 0) return false;
      const resolved: unknown = type.typeFunction();
      if (typeof resolved !== 'function' || resolved === Object || resolved === Array) return false;
      nestedClass = resolved as AnyClass;
      if (!compile(nestedClass, classes, compiling)) return false;
      typed.delete(name);
    }
    props.push({ name, targetName: cls.name, conditions, rules: checks, nested: nestedClass });
  }
  // What is left is class-transformer metadata that changes the instance.
  if (typed.size > 0) return false;
  classes.set(cls, props);
  return true;
}

/**
 * The properties of `cls` and its ancestors with class-transformer's `@Type`, and those with its
 * other decorators; undefined if its storage is not laid out as in 0.5.
 */
function transformerProperties(cls: AnyClass): { typed: Set<unknown>; other: Set<unknown> } | undefined {
  const lineage: unknown[] = [];
  for (let c: unknown = cls; typeof c === 'function' && c !== Function.prototype; c = Object.getPrototypeOf(c)) lineage.push(c);
  // Its own maps (target → property → metadata): it has no public way to list a class's properties.
  const keysOf = (key: string): Set<unknown> | undefined => {
    const map: unknown = Reflect.get(transformerStorage, key);
    if (!(map instanceof Map)) return undefined;
    const byProperty = (target: unknown): unknown[] => {
      const props: unknown = map.get(target);
      return props instanceof Map ? [...props.keys()] : [];
    };
    return new Set(lineage.flatMap(byProperty));
  };
  const [typed, transform, expose, exclude] = (['_typeMetadatas', '_transformMetadatas', '_exposeMetadatas', '_excludeMetadatas'] as const).map(keysOf);
  if (!typed || !transform || !expose || !exclude) return undefined;
  return { typed, other: new Set([...transform, ...expose, ...exclude]) };
}

function compileRule(r: Rule): CompiledRule | undefined {
  const constraints = getMetadataStorage().getTargetValidatorConstraints(r.constraintCls);
  if (constraints.length === 0 || constraints.some((c) => c.async || !SHALLOW_CHECKS.has(c.name))) return undefined;
  const primitive = (x: unknown) => x === null || (typeof x !== 'object' && typeof x !== 'function');
  const given: unknown[] = Array.isArray(r.constraints) ? (r.constraints as unknown[]) : [];
  const compared = given.flatMap((c): unknown[] => (Array.isArray(c) ? (c as unknown[]) : [c]));
  if (constraints.some((c) => BY_IDENTITY.has(c.name)) && !compared.every(primitive)) return undefined;
  const validateIf = (r as Rule & { validateIf?: Condition }).validateIf;
  return { rule: r, validateIf, each: r.each === true, validators: constraints.map((c) => c.instance) };
}
