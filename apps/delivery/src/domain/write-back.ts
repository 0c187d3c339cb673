import { checkAnnotation, DARWIN_DEFAULT_SLOT, DARWIN_VERSION, type SlotGeometry } from '@stagehook/contracts';

/**
 * Bounds of a write-back response (README "Limits"): the body a receiver may answer with and the
 * annotations in it. A larger body fails the attempt; it is never cut and applied in part.
 */
export const WRITE_BACK_MAX_BYTES = 1024 * 1024;
export const WRITE_BACK_MAX_ANNOTATIONS = 10_000;

export type WriteBackRead =
  /** `annotations` as the receiver sent them, each with an id (given, or assigned here once). */
  { ok: true; annotations: Record<string, unknown>[] } | { ok: false; reason: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Reads a write-back stage's 2xx response body: a Darwin JSON 2.0 document, or any object with
 * an `annotations` array of Darwin 2.0 annotations (tags are tag annotations). Each annotation
 * is checked with items' own rules (contracts' checkAnnotation) but against the slots it names,
 * sizes unknown: delivery does not know the item's slots, items checks them again when it
 * applies the annotations and rejects (routing `failed`) what names a slot the item lacks.
 * Pure: `newId` gives the ids of annotations that come without one, so items' apply is
 * idempotent (a redelivered outcome carries the same ids).
 */
export function readWriteBack(body: string, opts: { truncated: boolean; newId: () => string }): WriteBackRead {
  const bytes = Buffer.byteLength(body);
  if (opts.truncated || bytes > WRITE_BACK_MAX_BYTES) return { ok: false, reason: `write-back: the response body is larger than ${WRITE_BACK_MAX_BYTES} bytes` };
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    return { ok: false, reason: 'write-back: the response body is not JSON (expected a Darwin JSON 2.0 document or {"annotations": [...]})' };
  }
  if (!isObject(doc)) return { ok: false, reason: 'write-back: the response body must be a JSON object with an annotations array' };
  if (doc.version !== undefined && doc.version !== DARWIN_VERSION) return { ok: false, reason: `write-back: version must be "${DARWIN_VERSION}"` };
  const list = doc.annotations;
  if (!Array.isArray(list)) return { ok: false, reason: 'write-back: annotations must be an array of Darwin JSON 2.0 annotations' };
  if (list.length > WRITE_BACK_MAX_ANNOTATIONS) return { ok: false, reason: `write-back: at most ${WRITE_BACK_MAX_ANNOTATIONS} annotations` };
  const out: Record<string, unknown>[] = [];
  for (const [i, a] of list.entries()) {
    const named = isObject(a) && Array.isArray(a.slot_names) ? a.slot_names.filter((n): n is string => typeof n === 'string') : [];
    const slots: SlotGeometry[] = [...new Set([...named, DARWIN_DEFAULT_SLOT])].map((name) => ({ name, width: null, height: null }));
    const checked = checkAnnotation(a, slots, `annotations[${i}]`, { newId: opts.newId });
    if (!checked.ok) {
      const first = checked.errors.slice(0, 3).map((e) => `${e.path}: ${e.messages.join('; ')}`);
      return { ok: false, reason: `write-back: not a Darwin JSON 2.0 annotation: ${first.join(', ')}` };
    }
    // As given, plus the id: items checks the original against the item's slots.
    out.push({ ...(a as Record<string, unknown>), id: checked.annotation.id });
  }
  return { ok: true, annotations: out };
}
