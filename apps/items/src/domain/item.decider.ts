import { isDeepStrictEqual } from 'node:util';
import type { EventData, ItemStatus } from '@stagehook/contracts';
import type { Decider, DomainEvent, Snapshotting } from '@stagehook/event-store';
import { type Annotation, shapeOf } from './annotation.js';
import {
  AnnotationExistsError,
  AnnotationNotFoundError,
  IllegalStatusTransitionError,
  ItemExistsError,
  ItemNotFoundError,
  TagNotFoundError,
  TagNotUpdatableError,
} from './errors.js';
import { manualMayMove, workflowMayMove } from './status-rules.js';

export const itemStreamId = (itemId: string): string => `item-${itemId}`;

export function assertNever(x: never): never {
  throw new Error(`unexpected ${JSON.stringify(x)}`);
}

type Ev<T extends ItemEventType> = DomainEvent<T, EventData<T>>;
export type ItemEventType =
  | 'item.registered'
  | 'item.status.changed'
  | 'item.annotation.added'
  | 'item.annotation.updated'
  | 'item.annotation.deleted'
  | 'item.tag.added'
  | 'item.tag.removed'
  | 'item.darwin.imported'
  | 'item.writeback.applied'
  | 'item.writeback.rejected';
export type ItemEvent = { [T in ItemEventType]: Ev<T> }[ItemEventType];

export interface ItemSlot {
  /** Darwin `slot_name`; a single-image item's slot is "0". */
  name: string;
  /** `image`, `video`, `dicom`, `pdf`, … */
  type: string;
  /** Null when unknown: coordinates on the slot are then not bounded by its size. */
  width: number | null;
  height: number | null;
  sourceUrl: string | null;
  thumbnailUrl: string | null;
}

/** The item-level part of imported Darwin documents, kept as given (item.darwin.imported). */
export interface DarwinItemPart {
  properties?: Record<string, unknown>[];
  sourceInfo?: Record<string, unknown>;
  /** Each imported slot as given, by slot name. */
  slots?: Record<string, unknown>[];
  /** `item` keys and document keys of later format versions, as given. */
  itemExtra?: Record<string, unknown>;
  extra?: Record<string, unknown>;
}

export interface ItemState {
  exists: boolean;
  /** Events folded so far: the stream version the state describes. */
  version: number;
  itemId: string;
  projectId: string;
  datasetId: string;
  name: string;
  path: string;
  slots: ItemSlot[];
  metadata: Record<string, unknown>;
  status: ItemStatus;
  darwin: DarwinItemPart;
  /**
   * The annotation changes in order, as an immutable linked log: evolve adds one cell in O(1)
   * without touching the previous state (copying a 1,000-entry map per event made a fold
   * quadratic). Read the current annotations with `annotationsOf`.
   */
  annotationLog: AnnotationLog | null;
  /** Workflow visits already applied: a redelivered stage entry changes nothing. */
  visits: readonly string[];
  /** Deliveries whose write-back was applied or rejected: a redelivered outcome changes nothing. */
  writeBacks: readonly string[];
  registeredAt: string;
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
export function annotationsOf(state: Pick<ItemState, 'annotationLog'>): ReadonlyMap<string, Annotation> {
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

/** Where a write-back comes from: the webhook stage visit and the delivery that answered. */
export interface WriteBackSource {
  deliveryId: string;
  endpointId: string;
  workflowId: string;
  stageId: string;
  visitId: string;
  /** Who the annotations are attributed to (`endpoint:<id>`). */
  by: string;
}

// How far a lookup walks the log before materialising: bounds a lookup to this many cells plus,
// once per this many commands, one O(annotations) copy (instead of a copy per command).
const LOOKUP_WALK = 64;

/** One annotation by id without materialising every command's map (see LOOKUP_WALK). */
export function annotationById(state: Pick<ItemState, 'annotationLog'>, id: string): Annotation | undefined {
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

export type ItemCommand =
  /**
   * A write-back stage's response: `annotations` checked against the item's slots by the shell,
   * or `rejected` with why they could not be. Annotations the item already holds (same id: a
   * receiver echoing the document it was sent) are left as they are.
   */
  | ({ type: 'ApplyWriteBack'; at: string } & WriteBackSource & ({ annotations: Annotation[] } | { rejected: string }))
  | {
      type: 'RegisterItem';
      itemId: string;
      projectId: string;
      datasetId: string;
      name: string;
      path: string;
      slots: ItemSlot[];
      metadata: Record<string, unknown>;
      at: string;
    }
  /**
   * Annotations already checked against the item's slots (checkAnnotation); with `darwin`, the
   * item-level part of an imported document, recorded when it changes what the item holds.
   */
  | { type: 'AddAnnotations'; annotations: Annotation[]; at: string; darwin?: DarwinItemPart }
  | { type: 'UpdateAnnotation'; annotation: Annotation; at: string }
  | { type: 'DeleteAnnotation'; annotationId: string; at: string }
  | { type: 'AddTag'; name: string; annotationId: string; at: string }
  | { type: 'RemoveTag'; name: string; at: string }
  | {
      type: 'ChangeStatus';
      to: ItemStatus;
      changedBy: string;
      reason: string | null;
      at: string;
      /** `workflow` moves follow the workflow's rules (workflowMayMove), `manual` the lifecycle. */
      source: 'manual' | 'workflow';
      visitId?: string;
      /**
       * The item's dataset as the shell read it (datasets are a table, not in the stream), copied
       * into the event for receivers; null only if its row is missing, and the event then goes without.
       */
      dataset: { name: string; slug: string } | null;
    };

export function initialItemState(): ItemState {
  return {
    exists: false,
    version: 0,
    itemId: '',
    projectId: '',
    datasetId: '',
    name: '',
    path: '',
    slots: [],
    metadata: {},
    status: 'new',
    darwin: {},
    annotationLog: null,
    visits: [],
    writeBacks: [],
    registeredAt: '',
  };
}

export function tagsOf(state: Pick<ItemState, 'annotationLog'>): string[] {
  return [...annotationsOf(state).values()]
    .filter((a) => a.tag)
    .map((a) => a.name);
}

function findTag(state: ItemState, name: string): Annotation | undefined {
  return [...annotationsOf(state).values()].find((a) => a.tag && a.name === name);
}

function evolve(state: ItemState, event: ItemEvent): ItemState {
  const next = { ...state, version: state.version + 1 };
  switch (event.type) {
    case 'item.registered': {
      const d = event.data;
      return {
        ...next,
        exists: true,
        itemId: d.itemId,
        projectId: d.projectId,
        datasetId: d.datasetId,
        name: d.name,
        path: d.path,
        slots: d.slots.map((x) => ({ name: x.name, type: x.type, width: x.width, height: x.height, sourceUrl: x.sourceUrl, thumbnailUrl: x.thumbnailUrl })),
        metadata: d.metadata,
        status: 'new',
        registeredAt: d.registeredAt,
      };
    }
    case 'item.status.changed':
      return { ...next, status: event.data.to, visits: event.data.visitId ? [...state.visits, event.data.visitId] : state.visits };
    case 'item.annotation.added':
    case 'item.annotation.updated':
    case 'item.tag.added': {
      const a = event.data.annotation as unknown as Annotation;
      return { ...next, annotationLog: { op: { kind: 'put', annotation: a }, prev: state.annotationLog } };
    }
    case 'item.annotation.deleted':
    case 'item.tag.removed': {
      return { ...next, annotationLog: { op: { kind: 'delete', id: event.data.annotationId }, prev: state.annotationLog } };
    }
    case 'item.darwin.imported': {
      const { itemId: _i, datasetId: _d, projectId: _p, at: _at, ...part } = event.data;
      const defined = Object.fromEntries(Object.entries(part).filter(([, v]) => v !== undefined)) as DarwinItemPart;
      return { ...next, darwin: { ...state.darwin, ...defined } };
    }
    case 'item.writeback.applied':
    case 'item.writeback.rejected':
      return { ...next, writeBacks: [...state.writeBacks, event.data.deliveryId] };
    default:
      return assertNever(event);
  }
}

function decide(command: ItemCommand, state: ItemState): ItemEvent[] {
  if (command.type !== 'RegisterItem' && !state.exists) {
    throw new ItemNotFoundError(state.itemId || 'unknown');
  }
  const ids = { itemId: state.itemId, datasetId: state.datasetId, projectId: state.projectId };
  switch (command.type) {
    case 'RegisterItem': {
      if (state.exists) throw new ItemExistsError(`item ${command.itemId}`);
      return [
        {
          type: 'item.registered',
          data: {
            itemId: command.itemId,
            datasetId: command.datasetId,
            projectId: command.projectId,
            name: command.name,
            path: command.path,
            slots: command.slots.map((x) => ({ ...x })),
            metadata: command.metadata,
            registeredAt: command.at,
          },
        },
      ];
    }
    case 'AddAnnotations': {
      const seen = new Set<string>();
      // Only a command that adds tags needs the item's tags (a scan of every annotation).
      let tagNames: Set<string> | undefined;
      const events: ItemEvent[] = [];
      if (command.darwin) {
        // Only what the document carries and the item does not hold yet: a re-import adds nothing.
        const changed = (['properties', 'sourceInfo', 'slots', 'itemExtra', 'extra'] as const).filter(
          // Key order does not count: stored events come back from jsonb with their keys sorted.
          (k) => command.darwin![k] !== undefined && !isDeepStrictEqual(command.darwin![k], state.darwin[k]),
        );
        if (changed.length > 0) {
          const part = Object.fromEntries(changed.map((k) => [k, command.darwin![k]])) as DarwinItemPart;
          events.push({ type: 'item.darwin.imported', data: { ...ids, ...part, at: command.at } });
        }
      }
      for (const a of command.annotations) {
        if (seen.has(a.id) || annotationById(state, a.id)) throw new AnnotationExistsError(a.id);
        seen.add(a.id);
        const data = { ...ids, annotation: a, at: command.at };
        if (shapeOf(a) === 'tag') {
          // Tags are a set: the same tag twice is one tag.
          tagNames ??= new Set(tagsOf(state));
          if (tagNames.has(a.name)) continue;
          tagNames.add(a.name);
          events.push({ type: 'item.tag.added', data });
        } else {
          events.push({ type: 'item.annotation.added', data });
        }
      }
      return events;
    }
    case 'ApplyWriteBack': {
      if (state.writeBacks.includes(command.deliveryId)) return [];
      const source = {
        ...ids,
        deliveryId: command.deliveryId,
        endpointId: command.endpointId,
        workflowId: command.workflowId,
        stageId: command.stageId,
        visitId: command.visitId,
        by: command.by,
        at: command.at,
      };
      if ('rejected' in command) {
        return [{ type: 'item.writeback.rejected', data: { ...source, reason: command.rejected.slice(0, 2000), itemVersion: state.version + 1 } }];
      }
      const existing = annotationsOf(state);
      const tagNames = new Set(tagsOf(state));
      const events: ItemEvent[] = [];
      const added = new Set<string>();
      for (const a of command.annotations) {
        if (existing.has(a.id) || added.has(a.id)) continue;
        const data = { ...ids, annotation: a, at: command.at };
        if (shapeOf(a) === 'tag') {
          if (tagNames.has(a.name)) continue;
          tagNames.add(a.name);
          events.push({ type: 'item.tag.added', data });
        } else {
          events.push({ type: 'item.annotation.added', data });
        }
        added.add(a.id);
      }
      events.push({ type: 'item.writeback.applied', data: { ...source, annotationIds: [...added], itemVersion: state.version + events.length + 1 } });
      return events;
    }
    case 'UpdateAnnotation': {
      const current = annotationById(state, command.annotation.id);
      if (!current) throw new AnnotationNotFoundError(command.annotation.id);
      if (current.tag || command.annotation.tag) throw new TagNotUpdatableError(current.id);
      if (JSON.stringify(current) === JSON.stringify(command.annotation)) return [];
      return [{ type: 'item.annotation.updated', data: { ...ids, annotation: command.annotation, at: command.at } }];
    }
    case 'DeleteAnnotation': {
      const current = annotationById(state, command.annotationId);
      if (!current) throw new AnnotationNotFoundError(command.annotationId);
      const data = { ...ids, annotationId: current.id, name: current.name, at: command.at };
      return [current.tag ? { type: 'item.tag.removed', data } : { type: 'item.annotation.deleted', data }];
    }
    case 'AddTag': {
      if (findTag(state, command.name)) return [];
      const annotation: Annotation = { id: command.annotationId, name: command.name, slot_names: [state.slots[0]?.name ?? '0'], tag: {} };
      return [{ type: 'item.tag.added', data: { ...ids, annotation: annotation, at: command.at } }];
    }
    case 'RemoveTag': {
      const tag = findTag(state, command.name);
      if (!tag) throw new TagNotFoundError(command.name);
      return [{ type: 'item.tag.removed', data: { ...ids, annotationId: tag.id, name: tag.name, at: command.at } }];
    }
    case 'ChangeStatus': {
      if (command.visitId && state.visits.includes(command.visitId)) return [];
      if (state.status === command.to) return [];
      const allowed = command.source === 'workflow' ? workflowMayMove(state.status, command.to) : manualMayMove(state.status, command.to);
      if (!allowed) throw new IllegalStatusTransitionError(state.status, command.to);
      return [
        {
          type: 'item.status.changed',
          data: {
            ...ids,
            from: state.status,
            to: command.to,
            changedBy: command.changedBy,
            reason: command.reason,
            itemVersion: state.version + 1,
            changedAt: command.at,
            itemName: state.name,
            ...(command.dataset ? { datasetName: command.dataset.name, datasetSlug: command.dataset.slug } : {}),
            ...(command.visitId ? { visitId: command.visitId } : {}),
          },
        },
      ];
    }
    default:
      return assertNever(command);
  }
}

/** A stored item state: the annotation log flattened to the current annotations, in order. */
export interface ItemSnapshot extends Omit<ItemState, 'annotationLog'> {
  annotations: Annotation[];
}

/**
 * Snapshots let a command on an item with 10,000 annotations read the events after its latest
 * state instead of the whole stream. Bump `version` whenever `evolve` or `ItemState` changes:
 * older snapshots are then ignored and rewritten.
 */
export const itemSnapshotting: Snapshotting<ItemState> = {
  version: 1,
  // A hot item's state stays in the process's cache, so a stored snapshot only serves a cold
  // load; writing a 10,000-annotation state (≈3 MB) every 100 commands was most of what was left
  // of a command's cost on such an item (see README, "Where the time goes").
  every: 500,
  toSnapshot(state: ItemState): ItemSnapshot {
    const { annotationLog: _log, ...rest } = state;
    return { ...rest, annotations: [...annotationsOf(state).values()] };
  },
  fromSnapshot(snapshot: unknown): ItemState {
    const { annotations, ...rest } = snapshot as ItemSnapshot;
    // The log's history is not kept: one put per current annotation, in the map's order, gives
    // the same annotations in the same order, which is all `decide` and readers look at.
    let log: AnnotationLog | null = null;
    for (const annotation of annotations) log = { op: { kind: 'put', annotation }, prev: log };
    if (log) materialised.set(log, new Map(annotations.map((a) => [a.id, a])));
    return { ...rest, annotationLog: log };
  },
};

export const itemDecider: Decider<ItemCommand, ItemEvent, ItemState> = { initialState: initialItemState, evolve, decide, snapshot: itemSnapshotting };
