import type { DARWIN_VIDEO_KEYS, DarwinBoundingBox, DarwinPerson, DarwinPoint } from './darwin.js';

/*
 * The field checks `checkAnnotation` (darwin-check.ts) is made of: coordinates against a slot's
 * size, people, video keys and the bounds of what is kept as given.
 */

/**
 * A problem with one field: the same shape as platform's FieldError (contracts depends on no
 * other package). Shared here, not in items, because delivery checks a write-back response
 * with the same rules before it accepts it (apps never import each other).
 */
export interface DarwinFieldError {
  path: string;
  messages: string[];
}
type FieldError = DarwinFieldError;

/** A slot's size; null where unknown (coordinates are then only checked to be finite). */
export interface Size {
  width: number | null;
  height: number | null;
}

/**
 * How far outside the image a coordinate may lie, as a fraction of the image's size. Real V7
 * exports hold points slightly outside (a line at y = -45 on a 1080-px image), so the edge is
 * not a limit; a point a whole image away is a unit or axis mistake, and is refused.
 */
export const OUTSIDE_TOLERANCE = 1;

/**
 * Size bounds of what is kept as given (README "Limits"): each opaque shape, video key or
 * unknown key as JSON, and how deep it may nest. The whole annotation is bounded by the event
 * store (an event near 900 kB is a 413); a deep value could overflow a recursive reader downstream.
 */
export const MAX_OPAQUE_BYTES = 512 * 1024;
export const MAX_OPAQUE_DEPTH = 16;

export class Errors {
  readonly list: FieldError[] = [];
  add(path: string, message: string): void {
    const hit = this.list.find((e) => e.path === path);
    if (hit) hit.messages.push(message);
    else this.list.push({ path, messages: [message] });
  }
}

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
export const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

export function onlyKeys(v: Record<string, unknown>, allowed: string[], path: string, errors: Errors): void {
  for (const k of Object.keys(v)) if (!allowed.includes(k)) errors.add(`${path}.${k}`, `unknown field ${k}`);
}

export function coordinate(v: unknown, extent: number | null, path: string, errors: Errors): number | undefined {
  if (!isFiniteNumber(v)) {
    errors.add(path, 'must be a finite number');
    return undefined;
  }
  if (extent === null) return v;
  const margin = extent * OUTSIDE_TOLERANCE;
  if (v < -margin || v > extent + margin) errors.add(path, `lies too far outside the image (allowed ${-margin} to ${extent + margin})`);
  return v;
}

export function point(v: unknown, size: Size, path: string, errors: Errors): DarwinPoint | undefined {
  if (!isObject(v)) {
    errors.add(path, 'must be a point {x, y}');
    return undefined;
  }
  onlyKeys(v, ['x', 'y'], path, errors);
  const x = coordinate(v.x, size.width, `${path}.x`, errors);
  const y = coordinate(v.y, size.height, `${path}.y`, errors);
  return x === undefined || y === undefined ? undefined : { x, y };
}

export function pointList(v: unknown, min: number, size: Size, path: string, errors: Errors): DarwinPoint[] | undefined {
  if (!Array.isArray(v)) {
    errors.add(path, 'must be an array of points');
    return undefined;
  }
  if (v.length < min) errors.add(path, `must have at least ${min} points`);
  const pts = v.map((p, i) => point(p, size, `${path}[${i}]`, errors));
  return pts.every((p): p is DarwinPoint => p !== undefined) && v.length >= min ? pts : undefined;
}

export function boundingBox(v: unknown, size: Size, path: string, errors: Errors): DarwinBoundingBox | undefined {
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

export function boxOf(points: DarwinPoint[]): DarwinBoundingBox {
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

export function people(v: unknown, path: string, errors: Errors): DarwinPerson[] | undefined {
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

/** Depth of a JSON value (a scalar is 0); stops counting past `limit`. */
function depthOf(v: unknown, limit: number): number {
  if (typeof v !== 'object' || v === null) return 0;
  if (limit <= 0) return 1;
  let max = 0;
  for (const x of Array.isArray(v) ? v : Object.values(v)) max = Math.max(max, depthOf(x, limit - 1));
  return max + 1;
}

/** Opaque and unknown values: any JSON within the depth and size bounds. */
export function keepAsGiven(v: unknown, path: string, errors: Errors): boolean {
  if (depthOf(v, MAX_OPAQUE_DEPTH + 1) > MAX_OPAQUE_DEPTH) {
    errors.add(path, `nests deeper than ${MAX_OPAQUE_DEPTH} levels`);
    return false;
  }
  const bytes = Buffer.byteLength(JSON.stringify(v) ?? '');
  if (bytes > MAX_OPAQUE_BYTES) {
    errors.add(path, `is ${bytes} bytes of JSON; at most ${MAX_OPAQUE_BYTES}`);
    return false;
  }
  return true;
}

/** Structural checks of the video keys, which are kept as given. */
export function videoKey(k: (typeof DARWIN_VIDEO_KEYS)[number], v: unknown, path: string, errors: Errors): void {
  switch (k) {
    case 'frames':
      if (!isObject(v) || Object.entries(v).some(([f, x]) => !/^\d{1,9}$/.test(f) || !isObject(x))) errors.add(path, 'must be an object of frame objects keyed by frame index');
      break;
    case 'ranges':
      if (!Array.isArray(v) || v.some((r) => !Array.isArray(r) || r.length !== 2 || !r.every((n) => Number.isInteger(n) && (n as number) >= 0))) {
        errors.add(path, 'must be an array of [start, end] frame index pairs');
      }
      break;
    case 'interpolated':
    case 'only_keyframes':
      if (typeof v !== 'boolean') errors.add(path, 'must be a boolean');
      break;
    case 'interpolate_algorithm':
      if (typeof v !== 'string' || v.length > 100) errors.add(path, 'must be a string of at most 100 characters');
      break;
    case 'global_sub_types':
      if (!isObject(v)) errors.add(path, 'must be an object');
      break;
    case 'hidden_areas':
      if (!Array.isArray(v)) errors.add(path, 'must be an array');
      break;
  }
}

/** Within a millionth of a pixel, or of the box's size: V7 writes sums with float rounding. */
export function boxesAgree(a: DarwinBoundingBox, b: DarwinBoundingBox): boolean {
  const close = (x: number, y: number) => Math.abs(x - y) <= 1e-6 * Math.max(1, Math.abs(x), Math.abs(y));
  return close(a.x, b.x) && close(a.y, b.y) && close(a.w, b.w) && close(a.h, b.h);
}
