import { EventCatalog, SUBSCRIBABLE_EVENT_TYPES, type EventType } from '@stagehook/contracts';
import { defaultMetadataStorage } from 'class-transformer/cjs/storage.js';
import { getMetadataStorage, type ValidationTypes } from 'class-validator';
import { JSON_SCHEMA_2020_12 } from './json-schemas.js';

type Schema = Record<string, unknown>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyClass = new (...args: any[]) => object;

interface Meta {
  type: string;
  name?: string;
  propertyName: string;
  constraints?: unknown[];
  each?: boolean;
}

const CONDITIONAL: typeof ValidationTypes.CONDITIONAL_VALIDATION = 'conditionalValidation';
const NESTED: typeof ValidationTypes.NESTED_VALIDATION = 'nestedValidation';

/**
 * JSON Schema (2020-12) of a contracts data class, read from its class-validator metadata: the
 * built-in event types are described from the same classes that validate them on the bus, so the
 * catalogue cannot drift from the contracts. Constraints without a JSON Schema form (custom
 * validators) are left out: the schema may accept slightly more than the class, never less.
 */
export function schemaOfClass(cls: AnyClass, seen: Set<AnyClass> = new Set()): Schema {
  if (seen.has(cls)) return { type: 'object' };
  seen.add(cls);
  const metas: Meta[] = getMetadataStorage().getTargetValidationMetadatas(cls, '', true, false);
  const byProp = new Map<string, Meta[]>();
  for (const m of metas) byProp.set(m.propertyName, [...(byProp.get(m.propertyName) ?? []), m]);
  const properties: Record<string, Schema> = {};
  const required: string[] = [];
  for (const [prop, ms] of byProp) {
    let s: Schema = {};
    const item: Schema = {};
    let optional = false;
    let isArray = false;
    let nullable = false;
    for (const m of ms) {
      const target = m.each ? item : s;
      const c = m.constraints ?? [];
      if (m.type === CONDITIONAL) {
        // IsOptional; ValidateIf((_o, v) => v !== null) is how contracts say "or null".
        if (m.name === 'isOptional' || m.name === undefined) optional = true;
        else nullable = true;
        continue;
      }
      if (m.type === NESTED) {
        const t = defaultMetadataStorage.findTypeMetadata(cls, prop) as { typeFunction: () => AnyClass } | undefined;
        if (t) Object.assign(m.each ? item : s, schemaOfClass(t.typeFunction(), seen));
        continue;
      }
      switch (m.name) {
        case 'isString':
        case 'isShortText':
          target.type = 'string';
          break;
        case 'isInt':
          target.type = 'integer';
          break;
        case 'isNumber':
          target.type = 'number';
          break;
        case 'isBoolean':
          target.type = 'boolean';
          break;
        case 'isObject':
          target.type = 'object';
          break;
        case 'isArray':
          isArray = true;
          break;
        case 'isIn':
          target.enum = c[0];
          break;
        case 'equals':
          target.const = c[0];
          break;
        case 'isIso8601':
        case 'isISO8601':
          target.type = 'string';
          target.format = 'date-time';
          break;
        case 'isUuid':
        case 'isUUID':
          target.type = 'string';
          target.format = 'uuid';
          break;
        case 'matches':
          if (c[0] instanceof RegExp) target.pattern = c[0].source;
          break;
        case 'maxLength':
          target.maxLength = c[0];
          break;
        case 'minLength':
          target.minLength = c[0];
          break;
        case 'isLength':
          target.minLength = c[0];
          if (typeof c[1] === 'number') target.maxLength = c[1];
          break;
        case 'min':
          target.minimum = c[0];
          break;
        case 'max':
          target.maximum = c[0];
          break;
        case 'arrayMaxSize':
          s.maxItems = c[0];
          break;
        case 'arrayMinSize':
          s.minItems = c[0];
          break;
        default:
          break;
      }
    }
    if (isArray || Object.keys(item).length > 0) s = { ...s, type: 'array', ...(Object.keys(item).length > 0 ? { items: item } : {}) };
    if (nullable) s = { anyOf: [s, { type: 'null' }] };
    properties[prop] = s;
    if (!optional) required.push(prop);
  }
  seen.delete(cls);
  return { type: 'object', properties, ...(required.length > 0 ? { required } : {}) };
}

export interface BuiltinEventType {
  name: string;
  version: number;
  schema: Schema;
}

let cache: BuiltinEventType[] | undefined;

/** The subscribable built-in types with their schemas, generated once from the contracts. */
export function builtinEventTypes(): BuiltinEventType[] {
  cache ??= SUBSCRIBABLE_EVENT_TYPES.map((name) => {
    const spec = EventCatalog[name as EventType];
    return { name, version: spec.schemaVersion, schema: { $schema: JSON_SCHEMA_2020_12, ...schemaOfClass(spec.dataClass) } };
  });
  return cache;
}
