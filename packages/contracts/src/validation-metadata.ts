import { getMetadataStorage, type MetadataStorage } from 'class-validator';

type Rule = Parameters<MetadataStorage['addValidationMetadata']>[0];

const MEMOIZED = Symbol.for('stagehook.classValidatorMetadataMemo');
const GENERATION = Symbol.for('stagehook.classValidatorRulesGeneration');

/**
 * How many rules were added to `storage` since it was memoized: what is derived from its rules
 * (the lookup's memo, compiled checks) is stale once this changes.
 */
export function validationRulesGeneration(storage: MetadataStorage = getMetadataStorage()): number {
  return (Reflect.get(storage, GENERATION) as number | undefined) ?? 0;
}

/**
 * class-validator resolves which rules apply to a class on every `validate` by scanning every
 * decorated class it knows for ancestors (`getTargetValidationMetadatas`, typestack/class-validator
 * #2686): with every event and DTO class a service loads, that scan was the costliest step
 * of validating one request body or bus event. Its answer only changes when rules are added,
 * which decorators do while classes are defined, before anything is validated: so it is kept per
 * class and per options, and dropped whenever a rule or schema is registered afterwards.
 *
 * Patches the process-wide storage (class-validator keeps one, on the global object, for every
 * copy of the library), once: Nest's ValidationPipe and the event catalog both validate through it.
 */
export function memoizeValidationMetadata(storage: MetadataStorage = getMetadataStorage()): void {
  if (Reflect.get(storage, MEMOIZED) === true) return;
  const lookup = storage.getTargetValidationMetadatas.bind(storage);
  const addRule = storage.addValidationMetadata.bind(storage);
  let memo = new WeakMap<object, Map<string, Rule[]>>();
  storage.getTargetValidationMetadatas = (target, schema, always, strictGroups, groups) => {
    // Only classes are kept (a plain object's `constructor` may be anything): the rest is asked as before.
    if (typeof target !== 'function') return lookup(target, schema, always, strictGroups, groups);
    const key = `${schema}\u0000${always}\u0000${strictGroups}\u0000${groups?.join('\u0001') ?? ''}`;
    let byOptions = memo.get(target);
    if (!byOptions) memo.set(target, (byOptions = new Map<string, Rule[]>()));
    let rules = byOptions.get(key);
    if (!rules) byOptions.set(key, (rules = lookup(target, schema, always, strictGroups, groups)));
    // A copy: callers filter the list they get, and one of them must never change the next's.
    return rules.slice();
  };
  // Schemas register through addValidationMetadata too.
  storage.addValidationMetadata = (metadata) => {
    memo = new WeakMap();
    Reflect.set(storage, GENERATION, validationRulesGeneration(storage) + 1);
    addRule(metadata);
  };
  Reflect.set(storage, MEMOIZED, true);
}
