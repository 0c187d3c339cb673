import type { Snapshotting } from '@stagehook/event-store';
import type { Annotation } from './annotation.js';
import { annotationLogOf, annotationsOf } from './annotation-log.js';
import type { ItemState } from './item.state.js';

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
  // 2: states fold events as stored, their keys in jsonb's order; a snapshot of 1 may hold the
  // annotations as a client sent them, and an export made from it would differ in key order.
  version: 2,
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
    return { ...rest, annotationLog: annotationLogOf(annotations) };
  },
};
