import { describe, expect, it } from '@jest/globals';
import {
  assertNever,
  CATALOG_EVENT_TYPES,
  DELIVERY_EVENT_TYPES,
  ENDPOINT_EVENT_TYPES,
  EVENT_TYPE_EVENT_TYPES,
  EventCatalog,
  isEventOf,
  ITEM_EVENT_TYPES,
  WORKFLOW_DEFINITION_EVENT_TYPES,
  WORKFLOW_ITEM_EVENT_TYPES,
  type EventOf,
} from '../src/index.js';

describe('event-type lists derived from the catalog', () => {
  it('list every catalog type once, in exactly one stream list or as the published event', () => {
    const lists = [ITEM_EVENT_TYPES, WORKFLOW_DEFINITION_EVENT_TYPES, WORKFLOW_ITEM_EVENT_TYPES, ENDPOINT_EVENT_TYPES, EVENT_TYPE_EVENT_TYPES, DELIVERY_EVENT_TYPES];
    const listed = lists.flat();
    expect(new Set(listed).size).toBe(listed.length);
    expect([...listed, 'webhook.event.published'].sort()).toEqual(Object.keys(EventCatalog).sort());
    expect([...CATALOG_EVENT_TYPES].sort()).toEqual(Object.keys(EventCatalog).sort());
  });

  it('hold the types of each stream as the catalog declares them', () => {
    expect(ITEM_EVENT_TYPES).toEqual(Object.keys(EventCatalog).filter((t) => t.startsWith('item.')));
    expect(WORKFLOW_DEFINITION_EVENT_TYPES).toEqual(['workflow.definition.created', 'workflow.definition.updated']);
    expect(WORKFLOW_ITEM_EVENT_TYPES).toEqual(['workflow.stage.entered', 'workflow.stage.left', 'workflow.item.completed', 'workflow.item.parked']);
    expect(ENDPOINT_EVENT_TYPES).toEqual(Object.keys(EventCatalog).filter((t) => t.startsWith('webhook.endpoint.')));
    expect(EVENT_TYPE_EVENT_TYPES).toEqual(Object.keys(EventCatalog).filter((t) => t.startsWith('webhook.event_type.')));
    expect(DELIVERY_EVENT_TYPES).toEqual(Object.keys(EventCatalog).filter((t) => t.startsWith('delivery.')));
  });

  it('cannot be changed at run time', () => {
    expect(Object.isFrozen(ITEM_EVENT_TYPES)).toBe(true);
  });
});

describe('isEventOf', () => {
  const stored = (type: string, data: Record<string, unknown>) => ({ type, data, streamVersion: 1 });

  it('accepts an event of a listed type and narrows its data', () => {
    const e = stored('item.tag.removed', { name: 'cat', annotationId: 'a1' });
    if (!isEventOf(e, ITEM_EVENT_TYPES)) throw new Error('expected an item event');
    let name = '';
    switch (e.type) {
      case 'item.tag.removed':
        name = e.data.name;
        break;
      default:
        break;
    }
    expect(name).toBe('cat');
    expect(e.streamVersion).toBe(1);
  });

  it('refuses an event of a type not listed, even a catalog one', () => {
    expect(isEventOf(stored('workflow.stage.entered', {}), ITEM_EVENT_TYPES)).toBe(false);
    expect(isEventOf(stored('item.unknown', {}), ITEM_EVENT_TYPES)).toBe(false);
    expect(isEventOf(stored('item.registered', {}), ['item.tag.added'])).toBe(false);
  });
});

describe('assertNever', () => {
  it('throws with what it was given, for a value the types ruled out', () => {
    const e = { type: 'item.future', data: {} } as never;
    expect(() => assertNever(e, 'event')).toThrow('unexpected event: {"type":"item.future","data":{}}');
  });

  it('ends an exhaustive switch over an event union', () => {
    const kind = (e: EventOf<'workflow.definition.created' | 'workflow.definition.updated'>): string => {
      switch (e.type) {
        case 'workflow.definition.created':
          return 'new';
        case 'workflow.definition.updated':
          return 'edit';
        default:
          return assertNever(e);
      }
    };
    expect(kind({ type: 'workflow.definition.updated', data: { workflowId: 'w', projectId: 'p', version: 2, name: 'n', stages: [], at: 't' } })).toBe('edit');
  });
});
