import type { EventData, ItemEventType, ItemStatus } from '@stagehook/contracts';
import type { Annotation } from './annotation.js';
import type { AnnotationLog } from './annotation-log.js';

/** Event data whose `annotation` is what the items service stores (see ItemEvent). */
type WithStoredAnnotation<D> = D extends { annotation: Record<string, unknown> } ? Omit<D, 'annotation'> & { annotation: Annotation } : D;

/**
 * The events of an item's stream, as the contracts define them, with one refinement: on the bus an
 * annotation is only checked to be an object, but this stream holds only annotations the items
 * service accepted (checkAnnotation) and the decider wrote, so here it is a Darwin annotation.
 */
export type ItemEvent = { [T in ItemEventType]: { type: T; data: WithStoredAnnotation<EventData<T>> } }[ItemEventType];

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

/**
 * Commands are named in the imperative (`type`) and carry the clock as `now`; `decide` writes it
 * into the events as an ISO string.
 */
export type ItemCommand =
  /**
   * A write-back stage's response: `annotations` checked against the item's slots by the shell,
   * or `rejected` with why they could not be. Annotations the item already holds (same id: a
   * receiver echoing the document it was sent) are left as they are.
   */
  | ({ type: 'ApplyWriteBack'; now: Date } & WriteBackSource & ({ annotations: Annotation[] } | { rejected: string }))
  | {
      type: 'RegisterItem';
      itemId: string;
      projectId: string;
      datasetId: string;
      name: string;
      path: string;
      slots: ItemSlot[];
      metadata: Record<string, unknown>;
      now: Date;
    }
  /**
   * Annotations already checked against the item's slots (checkAnnotation); with `darwin`, the
   * item-level part of an imported document, recorded when it changes what the item holds.
   */
  | { type: 'AddAnnotations'; annotations: Annotation[]; now: Date; darwin?: DarwinItemPart }
  | { type: 'UpdateAnnotation'; annotation: Annotation; now: Date }
  | { type: 'DeleteAnnotation'; annotationId: string; now: Date }
  | { type: 'AddTag'; name: string; annotationId: string; now: Date }
  | { type: 'RemoveTag'; name: string; now: Date }
  | {
      type: 'ChangeStatus';
      to: ItemStatus;
      changedBy: string;
      reason: string | null;
      now: Date;
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
