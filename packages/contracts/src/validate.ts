import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { eventSpec } from './catalog.js';
import { acceptor } from './compiled-validation.js';
import { CloudEventEnvelope, isWellFormedEnvelope, type CloudEvent } from './envelope.js';
import { withValidTraceContext } from './trace-context.js';
import { memoizeValidationMetadata } from './validation-metadata.js';

// Every service validates its bus events and request bodies through this package's classes.
memoizeValidationMetadata();

export type Validated<T> = { ok: true; value: T } | { ok: false; reason: string };

/** `field: constraint message; …`, with nested paths (`webhook.endpointId`). */
export function describeErrors(errors: ValidationError[], prefix = ''): string[] {
  const out: string[] = [];
  for (const e of errors) {
    const path = prefix ? `${prefix}.${e.property}` : e.property;
    for (const msg of Object.values(e.constraints ?? {})) out.push(`${path}: ${msg}`);
    if (e.children?.length) out.push(...describeErrors(e.children, path));
  }
  return out;
}

const OPTIONS = { forbidUnknownValues: true, whitelist: false } as const;

function validateInstance<T extends object>(cls: new () => T, plain: unknown, prefix: string): Validated<T> {
  if (typeof plain !== 'object' || plain === null || Array.isArray(plain)) {
    return { ok: false, reason: `${prefix || 'value'}: must be an object` };
  }
  const instance = plainToInstance(cls, plain);
  const errors = validateSync(instance, OPTIONS);
  if (errors.length > 0) return { ok: false, reason: describeErrors(errors, prefix).join('; ') };
  return { ok: true, value: instance };
}

/**
 * The reasons a JSON object is not a CloudEvents envelope Stagehook accepts (`field: rule`, none
 * when it is one). Only the envelope: `data` is checked against its type's class separately.
 */
export function envelopeErrors(json: Readonly<Record<string, unknown>>): string[] {
  if (isWellFormedEnvelope(json)) return [];
  return describeErrors(validateSync(plainToInstance(CloudEventEnvelope, json), OPTIONS));
}

/** Validates `data` against the catalog class of `type` at its current schema version. */
export function validateEventData(type: string, data: unknown): Validated<Record<string, unknown>> {
  const spec = eventSpec(type);
  if (!spec) return { ok: false, reason: `type: unknown event type '${type}'` };
  // The compiled check accepts what class-validator would; the rest is decided (and described) by it.
  if (acceptor(spec.dataClass)?.(data as object) === true) return { ok: true, value: data as Record<string, unknown> };
  const r = validateInstance(spec.dataClass, data, 'data');
  return r.ok ? { ok: true, value: data as Record<string, unknown> } : r;
}

/** Upcasts `data` from `version` to the catalog's current version. */
export function upcastEventData(type: string, version: number, data: Record<string, unknown>): Validated<Record<string, unknown>> {
  const spec = eventSpec(type);
  if (!spec) return { ok: false, reason: `type: unknown event type '${type}'` };
  if (version > spec.schemaVersion) {
    return { ok: false, reason: `dataschemaversion: ${version} is newer than this service knows (${spec.schemaVersion})` };
  }
  let out = data;
  for (let v = version; v < spec.schemaVersion; v++) {
    const up = spec.upcasters?.[v];
    if (!up) return { ok: false, reason: `dataschemaversion: no upcaster from version ${v} of '${type}'` };
    out = up(out);
  }
  return { ok: true, value: out };
}

/**
 * Parses and validates a message body: the envelope, then (after upcasting) its data against
 * the catalog. Never throws; a failure carries a reason naming the field, for the dead letter.
 */
export function parseEvent(body: Uint8Array | string): Validated<CloudEvent> {
  let json: unknown;
  try {
    json = JSON.parse(typeof body === 'string' ? body : Buffer.from(body).toString('utf8'));
  } catch (err) {
    return { ok: false, reason: `body: not valid JSON (${(err as Error).message})` };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return { ok: false, reason: 'value: must be an object' };
  const reasons = envelopeErrors(json as Record<string, unknown>);
  if (reasons.length > 0) return { ok: false, reason: reasons.join('; ') };
  return completeEvent(withValidTraceContext(json as CloudEvent<string, Record<string, unknown>>));
}

/**
 * An event whose envelope is already validated (a consumer's first look, which must accept types
 * it has no data class for), completed as `parseEvent` would: data upcast to the catalog's
 * version and validated. The body is not parsed, nor the envelope checked, a second time.
 */
export function completeEvent(e: CloudEvent<string, Record<string, unknown>>): Validated<CloudEvent> {
  const up = upcastEventData(e.type, e.dataschemaversion, e.data);
  if (!up.ok) return up;
  const data = validateEventData(e.type, up.value);
  if (!data.ok) return data;
  const spec = eventSpec(e.type)!;
  return { ok: true, value: { ...e, dataschemaversion: spec.schemaVersion, data: data.value } };
}
