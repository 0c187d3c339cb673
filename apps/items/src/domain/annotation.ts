import { randomUUID } from 'node:crypto';
import {
  DARWIN_DEFAULT_SLOT,
  DARWIN_SUPPORTED_SHAPES,
  DARWIN_UNSUPPORTED_SHAPES,
  type DarwinAnnotation,
  type DarwinBoundingBox,
  type DarwinPerson,
  type DarwinPoint,
  type DarwinShape,
} from '@stagehook/contracts';
import type { FieldError } from '@stagehook/platform';

/** What we store per annotation: exactly the Darwin JSON 2.0 annotation we export. */
export type Annotation = DarwinAnnotation;

export interface ImageSize {
  width: number;
  height: number;
}

/**
 * How far outside the image a coordinate may lie, as a fraction of the image's size. Real V7
 * exports hold points slightly outside (a line at y = -45 on a 1080-px image), so the edge is
 * not a limit; a point a whole image away is a unit or axis mistake, and is refused.
 */
export const OUTSIDE_TOLERANCE = 1;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const TOP_LEVEL_KEYS = new Set<string>([
  'id',
  'name',
  'slot_names',
  ...DARWIN_SUPPORTED_SHAPES,
  'attributes',
  'text',
  'instance_id',
  'properties',
  'annotators',
  'reviewers',
]);

export type CheckResult = { ok: true; annotation: Annotation } | { ok: false; errors: FieldError[] };

class Errors {
  readonly list: FieldError[] = [];
  add(path: string, message: string): void {
    const hit = this.list.find((e) => e.path === path);
    if (hit) hit.messages.push(message);
    else this.list.push({ path, messages: [message] });
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function onlyKeys(v: Record<string, unknown>, allowed: string[], path: string, errors: Errors): void {
  for (const k of Object.keys(v)) if (!allowed.includes(k)) errors.add(`${path}.${k}`, `unknown field ${k}`);
}

function coordinate(v: unknown, extent: number, path: string, errors: Errors): number | undefined {
  if (!isFiniteNumber(v)) {
    errors.add(path, 'must be a finite number');
    return undefined;
  }
  const margin = extent * OUTSIDE_TOLERANCE;
  if (v < -margin || v > extent + margin) errors.add(path, `lies too far outside the image (allowed ${-margin} to ${extent + margin})`);
  return v;
}

function point(v: unknown, size: ImageSize, path: string, errors: Errors): DarwinPoint | undefined {
  if (!isObject(v)) {
    errors.add(path, 'must be a point {x, y}');
    return undefined;
  }
  onlyKeys(v, ['x', 'y'], path, errors);
  const x = coordinate(v.x, size.width, `${path}.x`, errors);
  const y = coordinate(v.y, size.height, `${path}.y`, errors);
  return x === undefined || y === undefined ? undefined : { x, y };
}

function pointList(v: unknown, min: number, size: ImageSize, path: string, errors: Errors): DarwinPoint[] | undefined {
  if (!Array.isArray(v)) {
    errors.add(path, 'must be an array of points');
    return undefined;
  }
  if (v.length < min) errors.add(path, `must have at least ${min} points`);
  const pts = v.map((p, i) => point(p, size, `${path}[${i}]`, errors));
  return pts.every((p): p is DarwinPoint => p !== undefined) && v.length >= min ? pts : undefined;
}

function boundingBox(v: unknown, size: ImageSize, path: string, errors: Errors): DarwinBoundingBox | undefined {
  if (!isObject(v)) {
    errors.add(path, 'must be {x, y, w, h}');
    return undefined;
  }
  onlyKeys(v, ['x', 'y', 'w', 'h'], path, errors);
  const x = coordinate(v.x, size.width, `${path}.x`, errors);
  const y = coordinate(v.y, size.height, `${path}.y`, errors);
  const dims: Record<'w' | 'h', number | undefined> = { w: undefined, h: undefined };
  for (const k of ['w', 'h'] as const) {
    const n = v[k];
    if (!isFiniteNumber(n)) errors.add(`${path}.${k}`, 'must be a finite number');
    else if (n < 0) errors.add(`${path}.${k}`, 'must not be negative');
    else dims[k] = n;
  }
  if (x === undefined || y === undefined || dims.w === undefined || dims.h === undefined) return undefined;
  coordinate(x + dims.w, size.width, `${path}.w`, errors);
  coordinate(y + dims.h, size.height, `${path}.h`, errors);
  return { x, y, w: dims.w, h: dims.h };
}

function boxOf(points: DarwinPoint[]): DarwinBoundingBox {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const p of points) {
    minX = Math.min(minX, p.x);
    minY = Math.min(minY, p.y);
    maxX = Math.max(maxX, p.x);
    maxY = Math.max(maxY, p.y);
  }
  return { x: minX, y: minY, w: maxX - minX, h: maxY - minY };
}

function people(v: unknown, path: string, errors: Errors): DarwinPerson[] | undefined {
  if (!Array.isArray(v)) {
    errors.add(path, 'must be an array of {full_name, email}');
    return undefined;
  }
  const out: DarwinPerson[] = [];
  v.forEach((p, i) => {
    const at = `${path}[${i}]`;
    if (!isObject(p)) return errors.add(at, 'must be {full_name, email}');
    onlyKeys(p, ['full_name', 'email'], at, errors);
    if (typeof p.full_name !== 'string' || p.full_name.length > 200) errors.add(`${at}.full_name`, 'must be a string of at most 200 characters');
    if (typeof p.email !== 'string' || p.email.length > 320) errors.add(`${at}.email`, 'must be a string of at most 320 characters');
    if (typeof p.full_name === 'string' && typeof p.email === 'string') out.push({ full_name: p.full_name, email: p.email });
  });
  return out;
}

/** Unsupported V7 shapes an input carries; such an annotation is skipped on import. */
export function unsupportedShapesOf(input: Record<string, unknown>): string[] {
  return DARWIN_UNSUPPORTED_SHAPES.filter((s) => input[s] !== undefined);
}

/**
 * Checks one annotation against the item's image and normalises it to what we store: exactly
 * one main shape, a polygon's bounding box computed from its paths, no unknown fields. `path`
 * prefixes every error (`annotations[3]`), so a 400 names the field as the client sent it.
 */
export function checkAnnotation(input: unknown, size: ImageSize, path: string, opts: { newId?: () => string } = {}): CheckResult {
  const errors = new Errors();
  if (!isObject(input)) return { ok: false, errors: [{ path, messages: ['must be an object'] }] };
  for (const k of Object.keys(input)) if (!TOP_LEVEL_KEYS.has(k)) errors.add(`${path}.${k}`, `unknown field ${k}`);

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
  let slotNames = [DARWIN_DEFAULT_SLOT];
  if (input.slot_names !== undefined) {
    if (!Array.isArray(input.slot_names) || input.slot_names.length !== 1 || input.slot_names[0] !== DARWIN_DEFAULT_SLOT) {
      errors.add(`${path}.slot_names`, `must be ["${DARWIN_DEFAULT_SLOT}"]: items have one image slot`);
    } else slotNames = [DARWIN_DEFAULT_SLOT];
  }

  const main = DARWIN_SUPPORTED_SHAPES.filter((s) => s !== 'bounding_box' && input[s] !== undefined);
  const shape: DarwinShape | undefined = main.length > 0 ? main[0] : input.bounding_box !== undefined ? 'bounding_box' : undefined;
  if (main.length > 1) errors.add(path, `must have exactly one shape, got ${main.join(' and ')}`);
  if (shape === undefined) errors.add(path, `must have one shape: ${DARWIN_SUPPORTED_SHAPES.join(', ')}`);
  if ((shape === 'keypoint' || shape === 'tag') && input.bounding_box !== undefined) {
    errors.add(`${path}.bounding_box`, `must be absent on a ${shape} (it would be a second shape)`);
  }

  const out: Annotation = { id, name: typeof input.name === 'string' ? input.name : '', slot_names: slotNames };
  if (input.bounding_box !== undefined && shape !== 'polygon') {
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
        // V7 carries the polygon's box beside it; computed here so it can never disagree.
        out.bounding_box = boxOf(paths.flat());
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
  if (input.properties !== undefined) {
    if (!Array.isArray(input.properties) || input.properties.some((p) => !isObject(p))) errors.add(`${path}.properties`, 'must be an array of objects');
    else out.properties = input.properties as Record<string, unknown>[];
  }
  for (const k of ['annotators', 'reviewers'] as const) {
    if (input[k] !== undefined) {
      const list = people(input[k], `${path}.${k}`, errors);
      if (list) out[k] = list;
    }
  }
  return errors.list.length > 0 ? { ok: false, errors: errors.list } : { ok: true, annotation: out };
}

export function shapeOf(a: Annotation): DarwinShape {
  if (a.polygon) return 'polygon';
  if (a.line) return 'line';
  if (a.keypoint) return 'keypoint';
  if (a.ellipse) return 'ellipse';
  if (a.tag) return 'tag';
  return 'bounding_box';
}
