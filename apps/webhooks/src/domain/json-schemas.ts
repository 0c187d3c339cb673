import { createHash } from 'node:crypto';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS: the default import is its module.exports, the plugin itself, which
// also carries the plugin as `default` (how TypeScript types the import under nodenext).
const addFormats = addFormatsModule.default;

export const JSON_SCHEMA_2020_12 = 'https://json-schema.org/draft/2020-12/schema';
/** A schema bigger than this is refused at registration (it travels in the registry's events). */
export const MAX_SCHEMA_BYTES = 64 * 1024;

export interface SchemaProblem {
  /** Where, written like the platform's validation paths: `data.run.metrics[2].loss`. */
  path: string;
  message: string;
}

const ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: true });
addFormats(ajv);

// Compiled validators by schema content: versions are immutable, so a hash names one for good.
const compiled = new Map<string, ValidateFunction>();
const CACHE_LIMIT = 2_000;

function keyOf(schema: Record<string, unknown>): string {
  return createHash('sha256').update(JSON.stringify(schema)).digest('base64url');
}

/** Problems with a schema itself (not JSON Schema 2020-12, does not compile); empty when usable. */
export function schemaProblems(schema: Record<string, unknown>, field = 'schema'): SchemaProblem[] {
  if (Buffer.byteLength(JSON.stringify(schema)) > MAX_SCHEMA_BYTES) return [{ path: field, message: `must be at most ${MAX_SCHEMA_BYTES} bytes of JSON` }];
  if (schema.$schema !== undefined && schema.$schema !== JSON_SCHEMA_2020_12) {
    return [{ path: `${field}.$schema`, message: `must be ${JSON_SCHEMA_2020_12} (or absent)` }];
  }
  if (!ajv.validateSchema(schema)) return toProblems(ajv.errors ?? [], field);
  try {
    validatorFor(schema);
  } catch (err) {
    return [{ path: field, message: (err as Error).message }];
  }
  return [];
}

function validatorFor(schema: Record<string, unknown>): ValidateFunction {
  const key = keyOf(schema);
  let v = compiled.get(key);
  if (!v) {
    // `$id`s would collide in ajv's registry across projects; the content hash identifies a schema here.
    const { $id: _id, ...rest } = schema;
    v = ajv.compile(rest);
    if (compiled.size >= CACHE_LIMIT) compiled.delete(compiled.keys().next().value!);
    compiled.set(key, v);
  }
  return v;
}

/** Every way `data` fails `schema` (ajv `allErrors`), empty when it is valid. */
export function payloadProblems(schema: Record<string, unknown>, data: unknown, field = 'data'): SchemaProblem[] {
  const v = validatorFor(schema);
  return v(data) ? [] : toProblems(v.errors ?? [], field);
}

function toProblems(errors: readonly ErrorObject[], field: string): SchemaProblem[] {
  const out = errors.map((e) => {
    let path = field + pointerToPath(e.instancePath);
    const p = e.params as { missingProperty?: string; additionalProperty?: string };
    if (e.keyword === 'required' && p.missingProperty) path += propertyPath(p.missingProperty);
    if (e.keyword === 'additionalProperties' && p.additionalProperty) path += propertyPath(p.additionalProperty);
    return { path, message: e.message ?? e.keyword };
  });
  const seen = new Set<string>();
  return out.filter((p) => {
    const k = `${p.path}\u0000${p.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function propertyPath(name: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`;
}

/** `/run/metrics/2/loss` → `.run.metrics[2].loss` (RFC 6901 escapes undone). */
function pointerToPath(pointer: string): string {
  if (!pointer) return '';
  return pointer
    .split('/')
    .slice(1)
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((t) => (/^\d+$/.test(t) ? `[${t}]` : propertyPath(t)))
    .join('');
}
