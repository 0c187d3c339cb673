import { describe, it } from '@jest/globals';
import { given } from '@stagehook/event-store';
import type { Annotation } from '../src/domain/annotation.js';
import { itemDecider, type ItemCommand, type ItemEvent } from '../src/domain/item.decider.js';

const AT = '2026-01-01T00:00:00.000Z';
const NOW = new Date(AT);
const ids = { itemId: 'item-1', datasetId: 'ds-1', projectId: 'p1' };
const registered: ItemEvent = {
  type: 'item.registered',
  data: { ...ids, name: 'a.jpg', path: '/', slots: [{ name: '0', type: 'image', width: 640, height: 480, sourceUrl: null, thumbnailUrl: null }], metadata: {}, registeredAt: AT },
};
const car: Annotation = { id: 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', name: 'car', slot_names: ['0'], bounding_box: { x: 1, y: 2, w: 3, h: 4 } };
const urgent: Annotation = { id: 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb', name: 'urgent', slot_names: ['0'], tag: {} };
const source = { deliveryId: 'del-1', endpointId: 'ep-1', workflowId: 'wf-1', stageId: 'infer', visitId: 'visit-1', by: 'endpoint:ep-1' };
const apply = (annotations: Annotation[], deliveryId = source.deliveryId): ItemCommand => ({ type: 'ApplyWriteBack', ...source, deliveryId, annotations, now: NOW });
const added = (a: Annotation): ItemEvent => {
  const data = { ...ids, annotation: { ...a }, at: AT };
  return a.tag ? { type: 'item.tag.added', data } : { type: 'item.annotation.added', data };
};
const applied = (annotationIds: string[], itemVersion: number, deliveryId = source.deliveryId): ItemEvent => ({
  type: 'item.writeback.applied',
  data: { ...ids, ...source, deliveryId, at: AT, annotationIds, itemVersion },
});

describe('item decider: write-back', () => {
  it('adds the answered annotations and tags, then says so with the item version that holds them', () => {
    given(itemDecider, [registered])
      .when(apply([car, urgent]))
      .then([added(car), added(urgent), applied([car.id, urgent.id], 4)]);
  });

  it('changes nothing when the same delivery is applied again (a redelivered outcome)', () => {
    given(itemDecider, [registered, added(car), added(urgent), applied([car.id, urgent.id], 4)])
      .when(apply([car, urgent]))
      .then([]);
  });

  it('leaves annotations the item already holds as they are (a receiver echoing the document it was sent)', () => {
    given(itemDecider, [registered, added(car)])
      .when(apply([car, urgent], 'del-2'))
      .then([added(urgent), applied([urgent.id], 4, 'del-2')]);
  });

  it('records a rejection with its reason, once', () => {
    const rejected: ItemEvent = { type: 'item.writeback.rejected', data: { ...ids, ...source, at: AT, reason: 'slot_names: names no slot', itemVersion: 2 } };
    given(itemDecider, [registered])
      .when({ type: 'ApplyWriteBack', ...source, rejected: 'slot_names: names no slot', now: NOW })
      .then([rejected]);
    given(itemDecider, [registered, rejected])
      .when({ type: 'ApplyWriteBack', ...source, rejected: 'slot_names: names no slot', now: NOW })
      .then([]);
  });
});
