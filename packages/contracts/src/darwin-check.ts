import { randomUUID } from 'node:crypto';
import {
  DARWIN_DEFAULT_SLOT,
  DARWIN_OPAQUE_SHAPES,
  DARWIN_SUPPORTED_SHAPES,
  DARWIN_VIDEO_KEYS,
  type DarwinOpaqueShape,
  type DarwinAnnotation,
  type DarwinShape,
  type DarwinBoundingBox,
  type DarwinPoint,
} from './darwin.js';

import {
  boundingBox,
  boxesAgree,
  boxOf,
  Errors,
  isFiniteNumber,
  isObject,
  keepAsGiven,
  onlyKeys,
  people,
  point,
  pointList,
  videoKey,
  type DarwinFieldError,
  type Size,
} from './darwin-fields.js';

export { MAX_OPAQUE_BYTES, MAX_OPAQUE_DEPTH, OUTSIDE_TOLERANCE, type DarwinFieldError } from './darwin-fields.js';

type FieldError = DarwinFieldError;

/** What we store per annotation: exactly the Darwin JSON 2.0 annotation we export. */
type Annotation = DarwinAnnotation;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Keys checked here; every other key (a future V7 key) is kept as given, within the bounds. */
const SUBTYPE_KEYS = ['attributes', 'text', 'instance_id', 'directional_vector', 'inference', 'properties', 'annotators', 'reviewers'] as const;

/** What a slot tells the check: its name, and its size when known (coordinates are bounded by it). */
export interface SlotGeometry {
  name: string;
  width: number | null;
  height: number | null;
}

export type CheckResult = { ok: true; annotation: Annotation } | { ok: false; errors: FieldError[] };

/**
 * Checks one annotation against its slot and normalises it to what we store: exactly one main
 * shape (interpreted or opaque; a video annotation has its shapes in `frames`), the geometry of
 * interpreted shapes, the subtypes, a polygon's bounding box. Opaque shapes, video keys and keys
 * we do not know are kept as given after a structural check, within MAX_OPAQUE_BYTES each.
 * `path` prefixes every error (`annotations[3]`), so a 400 names the field as the client sent it.
 */
export function checkAnnotation(input: unknown, slots: readonly SlotGeometry[], path: string, opts: { newId?: () => string } = {}): CheckResult {
  const errors = new Errors();
  if (!isObject(input)) return { ok: false, errors: [{ path, messages: ['must be an object'] }] };

  let id: string;
  if (input.id === undefined) id = (opts.newId ?? randomUUID)();
  else if (typeof input.id === 'string' && UUID.test(input.id)) id = input.id.toLowerCase();
  else {
    errors.add(`${path}.id`, 'must be a UUID');
    id = '';
  }
  if (typeof input.name !== 'string' || input.name.trim().length === 0 || input.name.length > 200) {
    errors.add(`${path}.name`, 'must be a non-empty class name of at most 200 characters');
  }
  // Without slot_names V7 puts an annotation on the item's first slot.
  let slot: SlotGeometry | undefined = slots[0];
  let slotNames = slot ? [slot.name] : [DARWIN_DEFAULT_SLOT];
  if (input.slot_names !== undefined) {
    const names = input.slot_names;
    if (!Array.isArray(names) || names.length === 0 || names.length > slots.length || names.some((n) => typeof n !== 'string')) {
      errors.add(`${path}.slot_names`, 'must be a non-empty array of slot names');
    } else {
      const unknown = (names as string[]).filter((n) => !slots.some((s) => s.name === n));
      if (unknown.length > 0)
        errors.add(
          `${path}.slot_names`,
          `names no slot of this item: ${unknown.map((n) => JSON.stringify(n)).join(', ')} (slots: ${slots.map((s) => JSON.stringify(s.name)).join(', ')})`,
        );
      else {
        slotNames = [...(names as string[])];
        slot = slots.find((s) => s.name === names[0]);
      }
    }
  }
  const size: Size = slot ?? { width: null, height: null };

  const interpreted = DARWIN_SUPPORTED_SHAPES.filter((s) => s !== 'bounding_box' && input[s] !== undefined);
  const opaque = DARWIN_OPAQUE_SHAPES.filter((s) => input[s] !== undefined);
  const shape: DarwinShape | undefined = interpreted.length > 0 ? interpreted[0] : opaque.length === 0 && input.bounding_box !== undefined ? 'bounding_box' : undefined;
  const isVideo = input.frames !== undefined;
  if (interpreted.length > 1) errors.add(path, `must have exactly one shape, got ${interpreted.join(' and ')}`);
  else if (interpreted.length + opaque.length > 1) {
    const [first, ...rest] = [...interpreted, ...opaque];
    for (const k of rest) errors.add(`${path}.${k}`, `is a second main shape beside ${first}`);
  }
  if (shape === undefined && opaque.length === 0 && !isVideo) {
    errors.add(path, `must have one shape: ${[...DARWIN_SUPPORTED_SHAPES, ...DARWIN_OPAQUE_SHAPES].join(', ')}, or video frames`);
  }
  if ((shape === 'keypoint' || shape === 'tag') && input.bounding_box !== undefined) {
    errors.add(`${path}.bounding_box`, `must be absent on a ${shape} (it would be a second shape)`);
  }
  for (const k of opaque) {
    if (!isObject(input[k])) errors.add(`${path}.${k}`, 'must be an object');
    else keepAsGiven(input[k], `${path}.${k}`, errors);
  }
  for (const k of DARWIN_VIDEO_KEYS) {
    if (input[k] !== undefined) {
      videoKey(k, input[k], `${path}.${k}`, errors);
      keepAsGiven(input[k], `${path}.${k}`, errors);
    }
  }

  const out: Annotation = { id, name: typeof input.name === 'string' ? input.name : '', slot_names: slotNames };
  let givenBox: DarwinBoundingBox | undefined;
  if (input.bounding_box !== undefined && shape === 'polygon') givenBox = boundingBox(input.bounding_box, size, `${path}.bounding_box`, errors);
  else if (input.bounding_box !== undefined) {
    const bb = boundingBox(input.bounding_box, size, `${path}.bounding_box`, errors);
    if (bb) out.bounding_box = bb;
  }
  switch (shape) {
    case 'polygon': {
      const at = `${path}.polygon`;
      const poly = input.polygon;
      if (!isObject(poly)) {
        errors.add(at, 'must be {paths}');
        break;
      }
      onlyKeys(poly, ['paths'], at, errors);
      if (!Array.isArray(poly.paths) || poly.paths.length === 0) {
        errors.add(`${at}.paths`, 'must be a non-empty array of paths');
        break;
      }
      const paths = poly.paths.map((p, i) => pointList(p, 3, size, `${at}.paths[${i}]`, errors));
      if (paths.every((p): p is DarwinPoint[] => p !== undefined)) {
        out.polygon = { paths };
        // V7 carries the polygon's box beside it: kept when it agrees with the paths (to float
        // rounding: V7 writes 35.85509999999999), computed otherwise so it can never disagree.
        const computed = boxOf(paths.flat());
        out.bounding_box = givenBox && boxesAgree(givenBox, computed) ? givenBox : computed;
      }
      break;
    }
    case 'line': {
      const at = `${path}.line`;
      if (!isObject(input.line)) {
        errors.add(at, 'must be {path}');
        break;
      }
      onlyKeys(input.line, ['path'], at, errors);
      const pts = pointList(input.line.path, 2, size, `${at}.path`, errors);
      if (pts) out.line = { path: pts };
      break;
    }
    case 'keypoint': {
      const p = point(input.keypoint, size, `${path}.keypoint`, errors);
      if (p) out.keypoint = p;
      break;
    }
    case 'ellipse': {
      const at = `${path}.ellipse`;
      const e = input.ellipse;
      if (!isObject(e)) {
        errors.add(at, 'must be {center, radius, angle}');
        break;
      }
      onlyKeys(e, ['center', 'radius', 'angle'], at, errors);
      const center = point(e.center, size, `${at}.center`, errors);
      let radius: DarwinPoint | undefined;
      if (!isObject(e.radius) || !isFiniteNumber(e.radius.x) || !isFiniteNumber(e.radius.y) || e.radius.x < 0 || e.radius.y < 0) {
        errors.add(`${at}.radius`, 'must be {x, y} with finite, non-negative numbers');
      } else {
        onlyKeys(e.radius, ['x', 'y'], `${at}.radius`, errors);
        radius = { x: e.radius.x, y: e.radius.y };
      }
      if (!isFiniteNumber(e.angle)) errors.add(`${at}.angle`, 'must be a finite number (radians)');
      if (center && radius && isFiniteNumber(e.angle)) out.ellipse = { center, radius, angle: e.angle };
      break;
    }
    case 'tag': {
      if (!isObject(input.tag) || Object.keys(input.tag).length > 0) errors.add(`${path}.tag`, 'must be an empty object {}');
      else out.tag = {};
      break;
    }
    case 'bounding_box':
    case undefined:
      break;
  }

  if (input.attributes !== undefined) {
    if (!Array.isArray(input.attributes) || input.attributes.some((a) => typeof a !== 'string' || a.length > 200) || input.attributes.length > 100) {
      errors.add(`${path}.attributes`, 'must be at most 100 strings');
    } else out.attributes = [...(input.attributes as string[])];
  }
  if (input.text !== undefined) {
    if (!isObject(input.text) || typeof input.text.text !== 'string' || Object.keys(input.text).length !== 1) {
      errors.add(`${path}.text`, 'must be {text: string}');
    } else out.text = { text: input.text.text };
  }
  if (input.instance_id !== undefined) {
    const v = isObject(input.instance_id) ? input.instance_id.value : undefined;
    if (!Number.isInteger(v) || (v as number) < 0 || Object.keys(input.instance_id as object).length !== 1) {
      errors.add(`${path}.instance_id`, 'must be {value: non-negative integer}');
    } else out.instance_id = { value: v as number };
  }
  if (input.directional_vector !== undefined) {
    const v = input.directional_vector;
    if (!isObject(v) || !isFiniteNumber(v.angle) || !isFiniteNumber(v.length) || v.length < 0) {
      errors.add(`${path}.directional_vector`, 'must be {angle: finite number (radians), length: non-negative number}');
    } else if (keepAsGiven(v, `${path}.directional_vector`, errors)) out.directional_vector = v as { angle: number; length: number };
  }
  if (input.inference !== undefined) {
    if (!isObject(input.inference)) errors.add(`${path}.inference`, 'must be an object ({confidence, model})');
    else if (input.inference.confidence !== undefined && (!isFiniteNumber(input.inference.confidence) || input.inference.confidence < 0 || input.inference.confidence > 1)) {
      errors.add(`${path}.inference.confidence`, 'must be a number from 0 to 1');
    } else if (keepAsGiven(input.inference, `${path}.inference`, errors)) out.inference = input.inference;
  }
  if (input.properties !== undefined) {
    if (!Array.isArray(input.properties) || input.properties.some((p) => !isObject(p))) errors.add(`${path}.properties`, 'must be an array of objects');
    else if (keepAsGiven(input.properties, `${path}.properties`, errors)) out.properties = input.properties as Record<string, unknown>[];
  }
  for (const k of ['annotators', 'reviewers'] as const) {
    if (input[k] !== undefined) {
      const list = people(input[k], `${path}.${k}`, errors);
      if (list) out[k] = list;
    }
  }
  // Opaque shapes, video keys and keys of later format versions: kept as given.
  const checked = new Set<string>(['id', 'name', 'slot_names', ...DARWIN_SUPPORTED_SHAPES, ...SUBTYPE_KEYS]);
  for (const [k, v] of Object.entries(input)) {
    if (checked.has(k) || v === undefined) continue;
    if ((DARWIN_OPAQUE_SHAPES as readonly string[]).includes(k) || (DARWIN_VIDEO_KEYS as readonly string[]).includes(k) || keepAsGiven(v, `${path}.${k}`, errors)) out[k] = v;
  }
  return errors.list.length > 0 ? { ok: false, errors: errors.list } : { ok: true, annotation: out };
}

/** The annotation's main shape: interpreted, opaque, or `frames` for a video annotation. */
export function shapeOf(a: Annotation): DarwinShape | DarwinOpaqueShape | 'frames' {
  if (a.polygon) return 'polygon';
  if (a.line) return 'line';
  if (a.keypoint) return 'keypoint';
  if (a.ellipse) return 'ellipse';
  if (a.tag) return 'tag';
  const opaque = DARWIN_OPAQUE_SHAPES.find((s) => a[s] !== undefined);
  if (opaque) return opaque;
  if (a.bounding_box) return 'bounding_box';
  return 'frames';
}
