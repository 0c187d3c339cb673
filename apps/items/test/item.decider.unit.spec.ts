import { describe, expect, it } from '@jest/globals';
import { darwinConformanceProblems, upcastEventData, type ItemStatus } from '@stagehook/contracts';
import { fold, given } from '@stagehook/event-store';
import { checkAnnotation, type Annotation } from '../src/domain/annotation.js';
import { toDarwin } from '../src/domain/darwin-export.js';
import { AnnotationExistsError, AnnotationNotFoundError, IllegalStatusTransitionError, ItemExistsError, TagNotFoundError, TagNotUpdatableError } from '../src/domain/errors.js';
import { annotationsOf, itemDecider, type ItemCommand, type ItemEvent } from '../src/domain/item.decider.js';
import { statusForStage } from '../src/domain/status-rules.js';

const AT = '2026-01-01T00:00:00.000Z';
const NOW = new Date(AT);
const ITEM = '11111111-1111-4111-8111-111111111111';
const ids = { itemId: ITEM, datasetId: 'ds-1', projectId: 'p1' };
const registered: ItemEvent = {
  type: 'item.registered',
  data: { ...ids, name: 'a.jpg', path: '/', slots: [{ name: '0', type: 'image', width: 1920, height: 1080, sourceUrl: null, thumbnailUrl: null }], metadata: {}, registeredAt: AT },
};
const box: Annotation = { id: 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', name: 'car', slot_names: ['0'], bounding_box: { x: 1, y: 2, w: 3, h: 4 } };
const tag: Annotation = { id: 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb', name: 'night', slot_names: ['0'], tag: {} };
const added = (a: Annotation): ItemEvent => ({ type: 'item.annotation.added', data: { ...ids, annotation: { ...a }, at: AT } });
const tagAdded = (a: Annotation): ItemEvent => ({ type: 'item.tag.added', data: { ...ids, annotation: { ...a }, at: AT } });
const DATASET = { name: 'Cars 2026', slug: 'cars-2026' };
const status = (from: string, to: string, itemVersion: number, extra: Record<string, unknown> = {}): ItemEvent =>
  ({
    type: 'item.status.changed',
    data: { ...ids, from, to, changedBy: 'u1', reason: null, itemVersion, changedAt: AT, itemName: 'a.jpg', datasetName: DATASET.name, datasetSlug: DATASET.slug, ...extra },
  }) as ItemEvent;
const change = (to: ItemStatus, source: 'manual' | 'workflow' = 'manual', visitId?: string, dataset: { name: string; slug: string } | null = DATASET): ItemCommand => ({
  type: 'ChangeStatus',
  to,
  changedBy: 'u1',
  reason: null,
  now: NOW,
  source,
  ...(visitId ? { visitId } : {}),
  dataset,
});

describe('item decider: registration', () => {
  it('registers a new item', () => {
    given(itemDecider, [])
      .when({
        type: 'RegisterItem',
        ...ids,
        name: 'a.jpg',
        path: '/',
        slots: [{ name: '0', type: 'image', width: 1920, height: 1080, sourceUrl: null, thumbnailUrl: null }],
        metadata: {},
        now: NOW,
      })
      .then([registered]);
  });
  it('folds an item.registered stored at schema version 1 (one image slot) as slot "0"', () => {
    const v1 = { ...ids, name: 'a.jpg', path: '/', slotType: 'image', width: 1920, height: 1080, sourceUrl: null, thumbnailUrl: null, metadata: {}, registeredAt: AT };
    const up = upcastEventData('item.registered', 1, v1);
    expect(up).toEqual({ ok: true, value: registered.data });
    const state = fold(itemDecider, [{ type: 'item.registered', data: up.ok ? up.value : {} } as ItemEvent]);
    expect(state.slots).toEqual([{ name: '0', type: 'image', width: 1920, height: 1080, sourceUrl: null, thumbnailUrl: null }]);
  });
  it('refuses to register the same item twice', () => {
    given(itemDecider, [registered])
      .when({
        type: 'RegisterItem',
        ...ids,
        name: 'a.jpg',
        path: '/',
        slots: [{ name: '0', type: 'image', width: 1, height: 1, sourceUrl: null, thumbnailUrl: null }],
        metadata: {},
        now: NOW,
      })
      .thenThrows(ItemExistsError);
  });
});

describe('item decider: statuses', () => {
  it('moves new → in_progress with the item version after the change', () => {
    given(itemDecider, [registered])
      .when(change('in_progress'))
      .then([status('new', 'in_progress', 2)]);
  });
  it("puts the item's name and its dataset's name and slug in the event, for receivers to show", () => {
    given(itemDecider, [registered])
      .when(change('in_progress', 'manual', undefined, { name: 'Night drives', slug: 'night' }))
      .then([status('new', 'in_progress', 2, { itemName: 'a.jpg', datasetName: 'Night drives', datasetSlug: 'night' })]);
  });
  it('leaves the dataset name and slug out when the shell found no dataset row', () => {
    const [event] = itemDecider.decide(change('in_progress', 'manual', undefined, null), fold(itemDecider, [registered]));
    expect(event.data).not.toHaveProperty('datasetName');
    expect(event.data).not.toHaveProperty('datasetSlug');
    expect(event.data).toMatchObject({ datasetId: ids.datasetId, itemName: 'a.jpg' });
  });
  it('refuses new → done by hand, naming both statuses', () => {
    given(itemDecider, [registered])
      .when(change('done'))
      .thenThrows(IllegalStatusTransitionError, /from new to done/);
  });
  it('lets a reviewer reject to_review → in_progress and accept to_review → done', () => {
    const history = [registered, status('new', 'in_progress', 2), status('in_progress', 'to_review', 3)];
    given(itemDecider, history)
      .when(change('in_progress'))
      .then([status('to_review', 'in_progress', 4)]);
    given(itemDecider, history)
      .when(change('done'))
      .then([status('to_review', 'done', 4)]);
  });
  it('decides nothing when the status is already the target', () => {
    given(itemDecider, [registered]).when(change('new')).then([]);
  });
  it('lets the workflow move new → to_review, which a person may not', () => {
    given(itemDecider, [registered]).when(change('to_review')).thenThrows(IllegalStatusTransitionError);
    given(itemDecider, [registered])
      .when(change('to_review', 'workflow', 'v1'))
      .then([status('new', 'to_review', 2, { visitId: 'v1' })]);
  });
  it('ignores a stage visit it has already applied', () => {
    given(itemDecider, [registered, status('new', 'in_progress', 2, { visitId: 'v1' }), status('in_progress', 'to_review', 3)])
      .when(change('in_progress', 'workflow', 'v1'))
      .then([]);
  });
  it('does not let the workflow revive an archived item', () => {
    given(itemDecider, [registered, status('new', 'archived', 2)])
      .when(change('in_progress', 'workflow', 'v2'))
      .thenThrows(IllegalStatusTransitionError);
  });
  it('maps stage types to statuses', () => {
    expect([statusForStage('annotate'), statusForStage('review'), statusForStage('complete'), statusForStage('webhook')]).toEqual(['in_progress', 'to_review', 'done', undefined]);
  });
});

describe('item decider: annotations and tags', () => {
  it('adds annotations, tags as tag events', () => {
    given(itemDecider, [registered])
      .when({ type: 'AddAnnotations', annotations: [box, tag], now: NOW })
      .then([added(box), tagAdded(tag)]);
  });
  it('refuses an annotation id that exists', () => {
    given(itemDecider, [registered, added(box)])
      .when({ type: 'AddAnnotations', annotations: [box], now: NOW })
      .thenThrows(AnnotationExistsError);
  });
  it('updates and deletes an annotation, and refuses unknown ones', () => {
    const moved = { ...box, bounding_box: { x: 5, y: 5, w: 1, h: 1 } };
    given(itemDecider, [registered, added(box)])
      .when({ type: 'UpdateAnnotation', annotation: moved, now: NOW })
      .then([{ type: 'item.annotation.updated', data: { ...ids, annotation: moved, at: AT } }]);
    given(itemDecider, [registered, added(box)])
      .when({ type: 'DeleteAnnotation', annotationId: box.id, now: NOW })
      .then([{ type: 'item.annotation.deleted', data: { ...ids, annotationId: box.id, name: 'car', at: AT } }]);
    given(itemDecider, [registered]).when({ type: 'DeleteAnnotation', annotationId: box.id, now: NOW }).thenThrows(AnnotationNotFoundError);
  });
  it('decides nothing for an update equal to the annotation, whatever the order of its keys', () => {
    // As a read of the stored event gives it: jsonb orders keys by length, then bytewise.
    const stored: Annotation = { id: box.id, name: 'car', slot_names: ['0'], bounding_box: { h: 4, w: 3, x: 1, y: 2 } };
    given(itemDecider, [registered, added(stored)])
      .when({ type: 'UpdateAnnotation', annotation: box, now: NOW })
      .then([]);
  });
  it('refuses to update a tag, or to turn an annotation into one', () => {
    given(itemDecider, [registered, tagAdded(tag)])
      .when({ type: 'UpdateAnnotation', annotation: { ...tag, name: 'day' }, now: NOW })
      .thenThrows(TagNotUpdatableError);
    given(itemDecider, [registered, added(box)])
      .when({ type: 'UpdateAnnotation', annotation: { id: box.id, name: 'car', slot_names: ['0'], tag: {} }, now: NOW })
      .thenThrows(TagNotUpdatableError);
  });
  it('adds a tag once and removes it by name', () => {
    given(itemDecider, [registered, tagAdded(tag)])
      .when({ type: 'AddTag', name: 'night', annotationId: box.id, now: NOW })
      .then([]);
    given(itemDecider, [registered])
      .when({ type: 'AddTag', name: 'night', annotationId: tag.id, now: NOW })
      .then([tagAdded(tag)]);
    given(itemDecider, [registered, tagAdded(tag)])
      .when({ type: 'RemoveTag', name: 'night', now: NOW })
      .then([{ type: 'item.tag.removed', data: { ...ids, annotationId: tag.id, name: 'night', at: AT } }]);
    given(itemDecider, [registered]).when({ type: 'RemoveTag', name: 'night', now: NOW }).thenThrows(TagNotFoundError);
  });
  it('exports a conforming Darwin document of the folded state', () => {
    const state = fold(itemDecider, [registered, added(box), tagAdded(tag)]);
    const doc = toDarwin(state, { dataset: { name: 'D', slug: 'd' }, team: { name: 'Acme Labs', slug: 'acme-labs' }, workviewBaseUrl: 'http://x/workview' });
    expect(darwinConformanceProblems(doc)).toEqual([]);
    expect(doc.annotations.map((a) => a.id)).toEqual([box.id, tag.id]);
  });
});

describe('annotations of a state', () => {
  it('keeps first-added order through updates, drops deletes, and never leaks between sibling states', () => {
    const parent = fold(itemDecider, [registered, added(box), tagAdded(tag)]);
    expect([...annotationsOf(parent).keys()]).toEqual([box.id, tag.id]);
    const moved = { ...box, bounding_box: { x: 9, y: 9, w: 1, h: 1 } };
    const updated = itemDecider.evolve(parent, { type: 'item.annotation.updated', data: { ...ids, annotation: { ...moved }, at: AT } });
    const deleted = itemDecider.evolve(parent, { type: 'item.annotation.deleted', data: { ...ids, annotationId: box.id, name: 'car', at: AT } });
    expect([...annotationsOf(updated).values()]).toEqual([moved, tag]);
    expect([...annotationsOf(deleted).keys()]).toEqual([tag.id]);
    expect([...annotationsOf(parent).values()]).toEqual([box, tag]);
  });
});

describe('annotation geometry', () => {
  const size = [{ name: '0', width: 1920, height: 1080 }];
  const errorsOf = (input: unknown) => {
    const r = checkAnnotation(input, size, 'a');
    return r.ok ? [] : r.errors.map((e) => e.path);
  };
  it('computes a polygon bounding box', () => {
    const r = checkAnnotation(
      {
        name: 'p',
        polygon: {
          paths: [
            [
              { x: 1, y: 1 },
              { x: 5, y: 1 },
              { x: 3, y: 9 },
            ],
          ],
        },
      },
      size,
      'a',
    );
    expect(r.ok && r.annotation.bounding_box).toEqual({ x: 1, y: 1, w: 4, h: 8 });
  });
  it('accepts points slightly outside the image (a line at y = -45)', () => {
    expect(
      errorsOf({
        name: 'l',
        line: {
          path: [
            { x: 0, y: -45 },
            { x: 100, y: -45 },
          ],
        },
      }),
    ).toEqual([]);
  });
  it('refuses bad geometry, naming each field', () => {
    expect(errorsOf({ name: 'b', bounding_box: { x: 0, y: 0, w: -1, h: 2 } })).toEqual(['a.bounding_box.w']);
    expect(
      errorsOf({
        name: 'p',
        polygon: {
          paths: [
            [
              { x: 1, y: 1 },
              { x: 2, y: 2 },
            ],
          ],
        },
      }),
    ).toEqual(['a.polygon.paths[0]']);
    expect(errorsOf({ name: 'k', keypoint: { x: Number.NaN, y: 1 } })).toEqual(['a.keypoint.x']);
    expect(errorsOf({ name: 'k', keypoint: { x: 1, y: Infinity } })).toEqual(['a.keypoint.y']);
    expect(errorsOf({ name: 'k', keypoint: { x: 99_999, y: 1 } })).toEqual(['a.keypoint.x']);
    expect(errorsOf({ name: 'k', keypoint: { x: 1, y: 1 }, mask: {} })).toEqual(['a.mask']);
    expect(
      errorsOf({
        name: 'two',
        keypoint: { x: 1, y: 1 },
        line: {
          path: [
            { x: 1, y: 1 },
            { x: 2, y: 2 },
          ],
        },
      }),
    ).toEqual(['a']);
    expect(errorsOf({ name: 'none' })).toEqual(['a']);
  });
});
