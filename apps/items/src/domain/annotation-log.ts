import type { Annotation } from './annotation.js';

/** What holds an annotation log: an item's state, or its snapshot once restored. */
export interface WithAnnotationLog {
  annotationLog: AnnotationLog | null;
}

export type AnnotationOp = { kind: 'put'; annotation: Annotation } | { kind: 'delete'; id: string };

export interface AnnotationLog {
  readonly op: AnnotationOp;
  readonly prev: AnnotationLog | null;
}

// Materialised annotations per log cell. A cell is immutable, so its map never goes stale; the
// WeakMap lets states that are no longer referenced be collected.
const materialised = new WeakMap<AnnotationLog, ReadonlyMap<string, Annotation>>();

/** The item's annotations by id, in the order they were first added. */
export function annotationsOf(state: WithAnnotationLog): ReadonlyMap<string, Annotation> {
  const head = state.annotationLog;
  if (!head) return new Map();
  const cached = materialised.get(head);
  if (cached) return cached;
  const pending: AnnotationOp[] = [];
  let base: ReadonlyMap<string, Annotation> | undefined;
  for (let cell: AnnotationLog | null = head; cell; cell = cell.prev) {
    base = materialised.get(cell);
    if (base) break;
    pending.push(cell.op);
  }
  const map = new Map(base);
  for (let i = pending.length - 1; i >= 0; i--) {
    const op = pending[i];
    if (op.kind === 'put') map.set(op.annotation.id, op.annotation);
    else map.delete(op.id);
  }
  materialised.set(head, map);
  return map;
}

// How far a lookup walks the log before materialising: bounds a lookup to this many cells plus,
// once per this many commands, one O(annotations) copy (instead of a copy per command).
const LOOKUP_WALK = 64;

/** One annotation by id without materialising every command's map (see LOOKUP_WALK). */
export function annotationById(state: WithAnnotationLog, id: string): Annotation | undefined {
  let depth = 0;
  for (let cell: AnnotationLog | null = state.annotationLog; cell; cell = cell.prev) {
    const map = materialised.get(cell);
    if (map) return map.get(id);
    const op = cell.op;
    if (op.kind === 'put' ? op.annotation.id === id : op.id === id) return op.kind === 'put' ? op.annotation : undefined;
    if (++depth >= LOOKUP_WALK) return annotationsOf(state).get(id);
  }
  return undefined;
}

/**
 * A log of one put per annotation, in order, already materialised: what a restored snapshot
 * starts from (the log's history is not kept; the same annotations in the same order are all
 * `decide` and readers look at).
 */
export function annotationLogOf(annotations: readonly Annotation[]): AnnotationLog | null {
  let log: AnnotationLog | null = null;
  for (const annotation of annotations) log = { op: { kind: 'put', annotation }, prev: log };
  if (log) materialised.set(log, new Map(annotations.map((a) => [a.id, a])));
  return log;
}
