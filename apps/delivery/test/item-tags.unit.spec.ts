import { describe, expect, it } from '@jest/globals';
import { tagChange, tagsAfter, type ItemTagEvent } from '../src/domain/item-tags.js';

const ids = { itemId: 'it_1', datasetId: 'ds_1', projectId: 'p1' };
const at = '2026-01-01T00:00:00.000Z';
const envelope = {
  specversion: '1.0',
  id: '00000000-0000-4000-8000-000000000001',
  source: 'items',
  time: at,
  datacontenttype: 'application/json',
  dataschemaversion: 1,
  subject: 'item-it_1',
  projectid: 'p1',
} as const;

const added = (annotation: Record<string, unknown>): ItemTagEvent => ({ ...envelope, type: 'item.tag.added', data: { ...ids, annotation, at } });
const removed = (name: string): ItemTagEvent => ({ ...envelope, type: 'item.tag.removed', data: { ...ids, annotationId: 'a1', name, at } });

describe('tagChange', () => {
  it('reads the tag name of an added tag annotation', () => {
    expect(tagChange(added({ id: 'a1', name: 'urgent', slot_names: ['0'], tag: {} }))).toEqual({ projectId: 'p1', itemId: 'it_1', name: 'urgent', present: true });
  });

  it('reads the tag name of a removed tag', () => {
    expect(tagChange(removed('urgent'))).toEqual({ projectId: 'p1', itemId: 'it_1', name: 'urgent', present: false });
  });

  it('refuses an added tag without a name', () => {
    expect(tagChange(added({ id: 'a1', tag: {} }))).toBeNull();
    expect(tagChange(added({ id: 'a1', name: '', tag: {} }))).toBeNull();
  });
});

describe('tagsAfter', () => {
  it('adds a tag once, sorted', () => {
    expect(tagsAfter({ name: 'urgent', present: true }, ['vip'])).toEqual(['urgent', 'vip']);
    expect(tagsAfter({ name: 'urgent', present: true }, ['urgent'])).toEqual(['urgent']);
  });

  it('removes a tag, and removing an absent one changes nothing', () => {
    expect(tagsAfter({ name: 'urgent', present: false }, ['urgent', 'vip'])).toEqual(['vip']);
    expect(tagsAfter({ name: 'urgent', present: false }, ['vip'])).toEqual(['vip']);
  });
});
