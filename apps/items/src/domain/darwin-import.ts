import { DARWIN_VERSION, MAX_ITEM_SLOTS } from '@stagehook/contracts';
import type { FieldError } from '@stagehook/platform/domain';
import type { DarwinItemPart } from './item.decider.js';

/** Bounds of a document's item-level part, kept as given (README "Limits"). */
export const MAX_DARWIN_ANNOTATIONS = 10_000;
export const MAX_ITEM_PART_BYTES = 256 * 1024;
export const MAX_ITEM_PROPERTIES = 1_000;

export interface DarwinImport {
  /** `item.name`, which the bulk import matches items by. */
  itemName: string | undefined;
  annotations: unknown[];
  /** What the document says about the item, kept as given. */
  item: DarwinItemPart;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Top-level and `item` keys read here; any other key is a later version's, kept as given. */
const DOCUMENT_KEYS = new Set(['version', 'schema_ref', 'item', 'annotations', 'properties']);
const ITEM_KEYS = new Set(['name', 'path', 'source_info', 'slots']);

/**
 * Checks a Darwin JSON 2.0 document's own fields (each annotation is checked later, against
 * the item's slots) and takes its item-level part: item `properties`, `item.source_info`, the
 * slots as V7 describes them, and keys this version does not know. Malformed known keys are
 * errors naming the field under `path`; unknown ones are kept.
 */
export function readDarwinDocument(body: unknown, path: string): { ok: true; doc: DarwinImport } | { ok: false; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const at = (field: string) => (path ? `${path}.${field}` : field);
  const fail = (field: string, message: string) => errors.push({ path: at(field), messages: [message] });
  if (!isObject(body)) return { ok: false, errors: [{ path: path || 'body', messages: ['must be a Darwin JSON 2.0 document (an object)'] }] };
  if (body.version !== DARWIN_VERSION) fail('version', `must be "${DARWIN_VERSION}"`);
  if (body.schema_ref !== undefined && (typeof body.schema_ref !== 'string' || body.schema_ref.length > 1000)) fail('schema_ref', 'must be a URL string');
  if (!Array.isArray(body.annotations)) fail('annotations', 'must be an array');
  else if (body.annotations.length > MAX_DARWIN_ANNOTATIONS) fail('annotations', `must have at most ${MAX_DARWIN_ANNOTATIONS} annotations`);

  const part: DarwinItemPart = {};
  let itemName: string | undefined;
  if (body.properties !== undefined) {
    if (!Array.isArray(body.properties) || body.properties.some((p) => !isObject(p))) fail('properties', 'must be an array of objects ({name, value})');
    else if (body.properties.length > MAX_ITEM_PROPERTIES) fail('properties', `must have at most ${MAX_ITEM_PROPERTIES} entries`);
    else part.properties = body.properties as Record<string, unknown>[];
  }
  const item = body.item;
  if (item !== undefined) {
    if (!isObject(item)) fail('item', 'must be an object');
    else {
      if (item.name !== undefined && (typeof item.name !== 'string' || item.name.length === 0 || item.name.length > 500))
        fail('item.name', 'must be a string of 1 to 500 characters');
      else if (typeof item.name === 'string') itemName = item.name;
      if (item.path !== undefined && (typeof item.path !== 'string' || item.path.length > 1000)) fail('item.path', 'must be a string of at most 1000 characters');
      if (item.source_info !== undefined) {
        if (!isObject(item.source_info)) fail('item.source_info', 'must be an object');
        else part.sourceInfo = item.source_info;
      }
      if (item.slots !== undefined) {
        if (!Array.isArray(item.slots) || item.slots.length > MAX_ITEM_SLOTS) fail('item.slots', `must be an array of at most ${MAX_ITEM_SLOTS} slots`);
        else {
          item.slots.forEach((s, i) => {
            if (!isObject(s)) fail(`item.slots[${i}]`, 'must be an object');
            else if (typeof s.slot_name !== 'string') fail(`item.slots[${i}].slot_name`, 'must be a string');
            else if (s.source_files !== undefined && (!Array.isArray(s.source_files) || s.source_files.some((f) => !isObject(f)))) {
              fail(`item.slots[${i}].source_files`, 'must be an array of objects');
            }
          });
          part.slots = item.slots as Record<string, unknown>[];
        }
      }
      const itemExtra = Object.fromEntries(Object.entries(item).filter(([k]) => !ITEM_KEYS.has(k)));
      if (Object.keys(itemExtra).length > 0) part.itemExtra = itemExtra;
    }
  }
  const extra = Object.fromEntries(Object.entries(body).filter(([k]) => !DOCUMENT_KEYS.has(k)));
  if (Object.keys(extra).length > 0) part.extra = extra;
  const bytes = Buffer.byteLength(JSON.stringify(part));
  if (bytes > MAX_ITEM_PART_BYTES) fail(item !== undefined ? 'item' : 'properties', `the item-level part is ${bytes} bytes of JSON; at most ${MAX_ITEM_PART_BYTES}`);
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, doc: { itemName, annotations: body.annotations as unknown[], item: part } };
}
