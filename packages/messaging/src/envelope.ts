import { envelopeErrors, withValidTraceContext, type CloudEvent } from '@stagehook/contracts';

export type EnvelopeResult =
  | { ok: true; value: CloudEvent<string, Record<string, unknown>> }
  /** `id` and `type` are whatever the body carried, for the dead letter, when they are strings. */
  | { ok: false; reason: string; id?: string; type?: string };

/**
 * Validates only the CloudEvents envelope (contracts' `parseEvent` also validates the data).
 * A consumer filtering `item.>` receives types it has no handler for, and whose data classes
 * may not be in its catalog: those are acked on a valid envelope alone.
 */
export function parseEnvelope(body: Uint8Array): EnvelopeResult {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch (err) {
    return { ok: false, reason: `body: not valid JSON (${(err as Error).message})` };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { ok: false, reason: 'body: must be a JSON object' };
  }
  const hints = json as { id?: unknown; type?: unknown };
  const id = typeof hints.id === 'string' ? hints.id.slice(0, 200) : undefined;
  const type = typeof hints.type === 'string' ? hints.type.slice(0, 200) : undefined;
  const reasons = envelopeErrors(json as Record<string, unknown>);
  if (reasons.length > 0) return { ok: false, reason: reasons.join('; '), id, type };
  return { ok: true, value: withValidTraceContext(json as CloudEvent<string, Record<string, unknown>>) };
}
