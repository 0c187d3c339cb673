/**
 * Darwin JSON 2.0 (V7's export format) as Stagehook's items service accepts and produces it,
 * shared with the delivery service and the sample receiver. The shapes in
 * `DARWIN_SUPPORTED_SHAPES` are interpreted (geometry checked against the slot); those in
 * `DARWIN_OPAQUE_SHAPES`, video `frames`, and keys from later versions of the format are kept
 * and exported unchanged after a structural check (see the items service README).
 */

export const DARWIN_VERSION = '2.0' as const;
/** V7's published schema for 2.0 exports. */
export const DARWIN_SCHEMA_REF = 'https://darwin-public.s3.eu-west-1.amazonaws.com/darwin_json/2.0/schema.json';
/** The slot every single-image item has (V7 names the first slot "0"). */
export const DARWIN_DEFAULT_SLOT = '0';

/** Main shapes we store and export; an annotation carries exactly one of them. */
export const DARWIN_SUPPORTED_SHAPES = ['polygon', 'line', 'keypoint', 'ellipse', 'tag', 'bounding_box'] as const;
export type DarwinShape = (typeof DARWIN_SUPPORTED_SHAPES)[number];

/**
 * V7 main shapes Stagehook does not interpret: stored and exported as given, after a check that
 * each is an object, and within the size bound. An annotation has one main shape, from either list.
 */
export const DARWIN_OPAQUE_SHAPES = ['mask', 'raster_layer', 'skeleton', 'cuboid', 'complex_polygon', 'graph', 'string', 'table', 'simple_table', 'measures'] as const;
export type DarwinOpaqueShape = (typeof DARWIN_OPAQUE_SHAPES)[number];

/**
 * A video annotation's keys: its shape lives per frame in `frames` (an object keyed by frame
 * index), `ranges` are [start, end] frame pairs. Kept as given.
 */
export const DARWIN_VIDEO_KEYS = ['frames', 'ranges', 'interpolated', 'interpolate_algorithm', 'global_sub_types', 'only_keyframes', 'hidden_areas'] as const;

export interface DarwinPoint {
  x: number;
  y: number;
}

export interface DarwinBoundingBox {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface DarwinEllipse {
  center: DarwinPoint;
  radius: DarwinPoint;
  angle: number;
}

export interface DarwinPerson {
  full_name: string;
  email: string;
}

export interface DarwinAnnotation {
  /** A 36-character UUID. */
  id: string;
  name: string;
  slot_names: string[];
  bounding_box?: DarwinBoundingBox;
  polygon?: { paths: DarwinPoint[][] };
  line?: { path: DarwinPoint[] };
  keypoint?: DarwinPoint;
  ellipse?: DarwinEllipse;
  tag?: Record<string, never>;
  attributes?: string[];
  text?: { text: string };
  instance_id?: { value: number };
  directional_vector?: { angle: number; length: number };
  /** V7's model output: `{confidence, model: {id, name, type}}`. */
  inference?: Record<string, unknown>;
  properties?: Record<string, unknown>[];
  annotators?: DarwinPerson[];
  reviewers?: DarwinPerson[];
  /** Opaque shapes (DARWIN_OPAQUE_SHAPES), video keys (DARWIN_VIDEO_KEYS) and future keys, as given. */
  [key: string]: unknown;
}

export interface DarwinSlot {
  /** `image`, `video`, `dicom`, `pdf`, … as V7 names them. */
  type: string;
  slot_name: string;
  /** Absent when unknown (V7 leaves it out on some DICOM slots). */
  width?: number;
  height?: number;
  thumbnail_url?: string;
  source_files: { file_name: string; url?: string; [key: string]: unknown }[];
  /** V7's other slot keys (fps, frame_count, frame_urls, metadata, sections, …), kept as imported. */
  [key: string]: unknown;
}

export interface DarwinDocument {
  version: typeof DARWIN_VERSION;
  schema_ref: string;
  item: {
    name: string;
    path: string;
    source_info: {
      item_id: string;
      dataset: { name: string; slug: string; [key: string]: unknown };
      team: { name: string; slug: string };
      workview_url: string;
      /** Other keys of an imported document's source_info, kept as given. */
      [key: string]: unknown;
    };
    slots: DarwinSlot[];
  };
  annotations: DarwinAnnotation[];
  /** Item-level properties (`[{name, value}]`), present when the item has them. */
  properties?: Record<string, unknown>[];
  /** Document keys of later versions of the format, kept as imported. */
  [key: string]: unknown;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The main shape of an annotation. A polygon, line or ellipse also carries a `bounding_box`
 * (V7 adds one), so the bounding box is the main shape only when nothing else is present.
 */
export function darwinMainShape(a: Record<string, unknown>): DarwinShape | undefined {
  const present = DARWIN_SUPPORTED_SHAPES.filter((s) => s !== 'bounding_box' && a[s] !== undefined);
  if (present.length > 0) return present[0];
  return a.bounding_box !== undefined ? 'bounding_box' : undefined;
}

/**
 * Checks a document against the Darwin JSON 2.0 rules consumers rely on; returns the problems
 * (empty when it conforms). Used by tests of every service that produces or forwards exports.
 */
export function darwinConformanceProblems(doc: unknown): string[] {
  const problems: string[] = [];
  const d = doc as (Partial<Pick<DarwinDocument, 'version' | 'schema_ref' | 'item'>> & { annotations?: DarwinAnnotation[] }) | null;
  if (!d || typeof d !== 'object') return ['document is not an object'];
  if (d.version !== DARWIN_VERSION) problems.push(`version must be "${DARWIN_VERSION}"`);
  if (typeof d.schema_ref !== 'string' || !d.schema_ref.startsWith('http')) problems.push('schema_ref must be a URL starting with http');
  const item = d.item;
  if (!item || typeof item.name !== 'string' || typeof item.path !== 'string') problems.push('item must have a name and a path');
  if (!item?.source_info || typeof item.source_info.item_id !== 'string') problems.push('item.source_info.item_id is missing');
  if (!item?.source_info?.dataset?.name || !item.source_info.dataset.slug) problems.push('item.source_info.dataset needs name and slug');
  if (!Array.isArray(item?.slots) || item.slots.length === 0) problems.push('item.slots must not be empty');
  const slotNames = new Set((item?.slots ?? []).map((s) => s.slot_name));
  if (!Array.isArray(d.annotations)) return [...problems, 'annotations must be an array'];
  d.annotations.forEach((a, i) => {
    const at = `annotations[${i}]`;
    if (typeof a.id !== 'string' || a.id.length !== 36 || !UUID.test(a.id)) problems.push(`${at}.id must be a 36-character UUID`);
    if (typeof a.name !== 'string' || a.name.length === 0) problems.push(`${at}.name is missing`);
    if (!Array.isArray(a.slot_names) || a.slot_names.length === 0) problems.push(`${at}.slot_names is missing`);
    else if (a.slot_names.some((s) => !slotNames.has(s))) problems.push(`${at}.slot_names names an unknown slot`);
    const rec: Record<string, unknown> = a;
    const main = [...DARWIN_SUPPORTED_SHAPES, ...DARWIN_OPAQUE_SHAPES].filter((s) => s !== 'bounding_box' && rec[s] !== undefined);
    if (main.length > 1) problems.push(`${at} has more than one main shape (${main.join(', ')})`);
    if (main.length === 0 && a.bounding_box === undefined && rec.frames === undefined) problems.push(`${at} has no shape`);
    if (a.polygon && !a.bounding_box) problems.push(`${at}.polygon needs a bounding_box`);
    if (a.polygon && (!Array.isArray(a.polygon.paths) || a.polygon.paths.length === 0)) problems.push(`${at}.polygon.paths is empty`);
  });
  return problems;
}
