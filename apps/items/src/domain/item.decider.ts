import { isDeepStrictEqual } from 'node:util';
import { assertNever, ITEM_EVENT_TYPES, sameJson } from '@stagehook/contracts';
import type { Decider } from '@stagehook/event-store';
import { type Annotation, shapeOf } from './annotation.js';
import { annotationById, annotationsOf } from './annotation-log.js';
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
import { itemSnapshotting } from './item.snapshot.js';
import { initialItemState, type DarwinItemPart, type ItemCommand, type ItemEvent, type ItemState } from './item.state.js';

// The decider's parts live beside it (state and commands, the annotation log, snapshots); their
// exports stay available from here.
export { annotationById, annotationsOf, type AnnotationLog, type AnnotationOp } from './annotation-log.js';
export { itemSnapshotting, type ItemSnapshot } from './item.snapshot.js';
export { initialItemState, type DarwinItemPart, type ItemCommand, type ItemEvent, type ItemSlot, type ItemState, type WriteBackSource } from './item.state.js';
export type { ItemEventType } from '@stagehook/contracts';

export const itemStreamId = (itemId: string): string => `item-${itemId}`;

export function tagsOf(state: Pick<ItemState, 'annotationLog'>): string[] {
  return [...annotationsOf(state).values()].filter((a) => a.tag).map((a) => a.name);
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
      return { ...next, annotationLog: { op: { kind: 'put', annotation: event.data.annotation }, prev: state.annotationLog } };
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
  const at = command.now.toISOString();
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
            registeredAt: at,
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
          events.push({ type: 'item.darwin.imported', data: { ...ids, ...part, at } });
        }
      }
      for (const a of command.annotations) {
        if (seen.has(a.id) || annotationById(state, a.id)) throw new AnnotationExistsError(a.id);
        seen.add(a.id);
        const data = { ...ids, annotation: a, at };
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
        at,
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
        const data = { ...ids, annotation: a, at };
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
      if (sameJson(current, command.annotation)) return [];
      return [{ type: 'item.annotation.updated', data: { ...ids, annotation: command.annotation, at } }];
    }
    case 'DeleteAnnotation': {
      const current = annotationById(state, command.annotationId);
      if (!current) throw new AnnotationNotFoundError(command.annotationId);
      const data = { ...ids, annotationId: current.id, name: current.name, at };
      return [current.tag ? { type: 'item.tag.removed', data } : { type: 'item.annotation.deleted', data }];
    }
    case 'AddTag': {
      if (findTag(state, command.name)) return [];
      const annotation: Annotation = { id: command.annotationId, name: command.name, slot_names: [state.slots[0]?.name ?? '0'], tag: {} };
      return [{ type: 'item.tag.added', data: { ...ids, annotation: annotation, at } }];
    }
    case 'RemoveTag': {
      const tag = findTag(state, command.name);
      if (!tag) throw new TagNotFoundError(command.name);
      return [{ type: 'item.tag.removed', data: { ...ids, annotationId: tag.id, name: tag.name, at } }];
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
            changedAt: at,
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

export const itemDecider: Decider<ItemCommand, ItemEvent, ItemState> = {
  initialState: initialItemState,
  evolve,
  decide,
  eventTypes: ITEM_EVENT_TYPES,
  snapshot: itemSnapshotting,
};
