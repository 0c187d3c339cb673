import 'reflect-metadata';
import { defaultMetadataStorage as transformerStorage } from 'class-transformer/cjs/storage.js';
import { getMetadataStorage, type ValidationArguments, type ValidatorConstraintInterface } from 'class-validator';
import { validationRulesGeneration } from './validation-metadata.js';

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
 * accept what class-validator refuses; a property test holds the two equal over the catalogue's
 * classes. Classes are compiled only when every rule is of a kind whose outcome on the plain object
 * is the one on the instance class-transformer would make of it (see `compile`).
 */

type AnyClass = abstract new (...args: never[]) => object;
type Rule = ReturnType<ReturnType<typeof getMetadataStorage>['getTargetValidationMetadatas']>[number];
type Check = (o: Readonly<Record<string, unknown>>, v: unknown) => boolean;

/** class-validator's checks that look at the value alone (and at their constraints), never into it. */
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

interface CompiledRule {
  readonly rule: Rule;
  readonly validateIf: Check | undefined;
  readonly each: boolean;
  readonly checks: readonly ValidatorConstraintInterface[];
}

interface CompiledProperty {
  readonly name: string;
  /** `@IsOptional`, `@ValidateIf`: the property is not looked at when one says no. */
  readonly conditions: readonly Check[];
  /** `@IsDefined` first, then the other checks, as class-validator's executor runs them. */
  readonly rules: readonly CompiledRule[];
  /** `@ValidateNested` with `@Type(() => cls)`: the class its objects become. */
  readonly nested: AnyClass | undefined;
}

interface Compiled {
  readonly generation: number;
  readonly accept: ((plain: object) => boolean) | undefined;
}

const compiled = new WeakMap<AnyClass, Compiled>();

/**
 * The compiled check for `cls`: true only when class-validator, given `plainToInstance(cls,
 * plain)` with `forbidUnknownValues` and without `whitelist`, would find nothing wrong. Undefined
 * when the class has a rule this does not compile (ask class-validator instead).
 */
export function acceptor(cls: AnyClass): ((plain: object) => boolean) | undefined {
  const generation = validationRulesGeneration();
  let entry = compiled.get(cls);
  if (entry?.generation !== generation) {
    // Compiled in full before anything is accepted with it: a nested class refers to its entry.
    const inProgress = new Map<AnyClass, CompiledProperty[] | undefined>();
    const props = compile(cls, undefined, inProgress);
    const accept = props && [...inProgress.values()].every(Boolean) ? acceptObjectOf(cls, inProgress as Map<AnyClass, CompiledProperty[]>) : undefined;
    entry = { generation, accept };
    compiled.set(cls, entry);
  }
  return entry.accept;
}

function acceptObjectOf(cls: AnyClass, classes: ReadonlyMap<AnyClass, readonly CompiledProperty[]>): (plain: object) => boolean {
  const acceptObject = (plain: unknown, c: AnyClass): boolean => {
    // Plain objects only, as JSON.parse makes them. Keys such as `__proto__` or `toString` are
    // never a compiled property (see `compile`), and class-transformer does not copy them.
    if (typeof plain !== 'object' || plain === null || Array.isArray(plain) || Object.getPrototypeOf(plain) !== Object.prototype) return false;
    const o = plain as Readonly<Record<string, unknown>>;
    const targetName = c.name;
    for (const p of classes.get(c)!) {
      const v = o[p.name];
      if (!p.conditions.every((cond) => cond(o, v))) continue;
      for (const r of p.rules) {
        if (r.validateIf && !r.validateIf(o, v)) continue;
        const args: ValidationArguments = { targetName, property: p.name, object: o, value: v, constraints: r.rule.constraints as unknown[] };
        for (const check of r.checks) {
          const ok = r.each && Array.isArray(v) ? v.every((x: unknown) => check.validate(x, args) === true) : check.validate(v, args) === true;
          if (!ok) return false;
        }
      }
      if (p.nested && v !== undefined && !acceptNested(v, p.nested)) return false;
    }
    return true;
  };
  // class-validator's nested validation: an array's elements (arrays again, or objects of the
  // class), or one object of the class; anything else is refused.
  const acceptNested = (v: unknown, c: AnyClass): boolean => (Array.isArray(v) ? v.every((x) => acceptNested(x, c)) : acceptObject(v, c));
  return (plain) => {
    try {
      return acceptObject(plain, cls);
    } catch {
      return false; // class-validator decides, and says why
    }
  };
}

/**
 * The properties of `cls` with their rules, or undefined when one rule is not compiled: groups,
 * `always`, async checks, checks not known to be shallow, nested classes without `@Type` (or with
 * a discriminator), `@Type` without nesting (class-transformer would convert the value),
 * `@Transform`/`@Expose`/`@Exclude`, a Map or Set design type, field initialisers, or methods and
 * accessors on the prototype (class-transformer leaves those keys alone).
 */
function compile(cls: AnyClass, schema: string | undefined, classes: Map<AnyClass, CompiledProperty[] | undefined>): CompiledProperty[] | undefined {
  if (classes.has(cls)) return classes.get(cls) ?? [];
  classes.set(cls, undefined);
  const storage = getMetadataStorage();
  const rules = storage.getTargetValidationMetadatas(cls, schema as string, false, false, undefined);
  // forbidUnknownValues: an object of a class without rules is refused; class-validator says so.
  if (rules.length === 0 || transformerStorage.getStrategy(cls) !== 'none') return undefined;
  for (let proto: unknown = cls.prototype; proto !== null && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    if (Object.getOwnPropertyNames(proto).some((n) => n !== 'constructor')) return undefined;
  }
  let blank: Record<string, unknown>;
  try {
    // As class-transformer makes its instance: no arguments.
    blank = Reflect.construct(cls, []) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const byName = storage.groupByPropertyName(rules);
  const props: CompiledProperty[] = [];
  for (const [name, own] of Object.entries(byName)) {
    if (name in Object.prototype || blank[name] !== undefined) return undefined;
    const design: unknown = Reflect.getMetadata('design:type', cls.prototype as object, name);
    if (design === Map || design === Set) return undefined;
    if (transformerStorage.findExposeMetadata(cls, name) || transformerStorage.findExcludeMetadata(cls, name)) return undefined;
    // Any TransformationType: plain to class, class to plain, class to class.
    if ([0, 1, 2].some((t) => transformerStorage.findTransformMetadatas(cls, name, t).length > 0)) return undefined;
    const conditions: Check[] = [];
    const defined: CompiledRule[] = [];
    const checks: CompiledRule[] = [];
    let nestedRule: Rule | undefined;
    for (const r of own) {
      if ((r.groups && r.groups.length > 0) || r.always !== undefined || typeof r.target === 'string') return undefined;
      if (r.type === 'conditionalValidation') conditions.push(r.constraints[0] as Check);
      else if (r.type === 'nestedValidation') nestedRule = r;
      else if (r.type === 'isDefined' || r.type === 'customValidation') {
        const c = compileRule(r);
        if (!c) return undefined;
        (r.type === 'isDefined' ? defined : checks).push(c);
      } else if (r.type !== 'whitelistValidation') return undefined; // promises, or a kind this does not know
    }
    const type = transformerStorage.findTypeMetadata(cls, name);
    let nestedClass: AnyClass | undefined;
    if (nestedRule) {
      if (!type || type.options?.discriminator) return undefined;
      const resolved: unknown = type.typeFunction({ newObject: {}, object: {}, property: name });
      if (typeof resolved !== 'function' || resolved === Object) return undefined;
      nestedClass = resolved as AnyClass;
      // Looked up as class-validator's executor does, with the declaring class's name as the schema.
      if (!compile(nestedClass, (nestedRule.target as AnyClass).name, classes)) return undefined;
    } else if (type) return undefined;
    props.push({ name, conditions, rules: [...defined, ...checks], nested: nestedClass });
  }
  classes.set(cls, props);
  return props;
}

function compileRule(r: Rule): CompiledRule | undefined {
  const constraints = getMetadataStorage().getTargetValidatorConstraints(r.constraintCls);
  if (constraints.length === 0 || constraints.some((c) => c.async || !SHALLOW_CHECKS.has(c.name))) return undefined;
  const validateIf = (r as Rule & { validateIf?: Check }).validateIf;
  return { rule: r, validateIf, each: r.each === true, checks: constraints.map((c) => c.instance) };
}
