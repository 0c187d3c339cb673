import { describe, expect, it } from '@jest/globals';
import type { ItemStatus } from '@stagehook/contracts';
import { fold } from '@stagehook/event-store';
import fc from 'fast-check';
import type { Annotation } from '../src/domain/annotation.js';
import { annotationById, annotationsOf, itemDecider, itemSnapshotting, type ItemCommand, type ItemEvent, type ItemState } from '../src/domain/item.decider.js';

const AT = '2026-01-01T00:00:00.000Z';
const NOW = new Date(AT);
const ITEM = '11111111-1111-4111-8111-111111111111';
const register: ItemCommand = {
  type: 'RegisterItem',
  itemId: ITEM,
  datasetId: 'ds-1',
  projectId: 'p1',
  name: 'a.jpg',
  path: '/',
  slots: [{ name: '0', type: 'image', width: 1920, height: 1080, sourceUrl: null, thumbnailUrl: null }],
  metadata: {},
  now: NOW,
};
// Few ids and names, so generated commands collide: updates and deletes of existing annotations,
// re-adds after a delete, duplicate tags — the cases where a rebuilt log could differ.
const ID = fc.constantFrom(...Array.from({ length: 6 }, (_, i) => `aaaaaaaa-aaaa-4aaa-8aaa-00000000000${i}`));
const NAME = fc.constantFrom('car', 'night', 'person');
const STATUS = fc.constantFrom<ItemStatus>('new', 'in_progress', 'to_review', 'done', 'skipped', 'archived');
const box = (id: string, name: string, x: number): Annotation => ({ id, name, slot_names: ['0'], bounding_box: { x, y: 2, w: 3, h: 4 } });
const command: fc.Arbitrary<ItemCommand> = fc.oneof(
  fc.tuple(ID, NAME, fc.nat(50)).map(([id, name, x]): ItemCommand => ({ type: 'AddAnnotations', annotations: [box(id, name, x)], now: NOW })),
  fc.tuple(ID, NAME).map(([id, name]): ItemCommand => ({ type: 'AddAnnotations', annotations: [{ id, name, slot_names: ['0'], tag: {} }], now: NOW })),
  fc.tuple(ID, NAME, fc.nat(50)).map(([id, name, x]): ItemCommand => ({ type: 'UpdateAnnotation', annotation: box(id, name, x), now: NOW })),
  ID.map((id): ItemCommand => ({ type: 'DeleteAnnotation', annotationId: id, now: NOW })),
  fc.tuple(ID, NAME).map(([annotationId, name]): ItemCommand => ({ type: 'AddTag', annotationId, name, now: NOW })),
  NAME.map((name): ItemCommand => ({ type: 'RemoveTag', name, now: NOW })),
  fc.tuple(STATUS, fc.option(fc.constantFrom('v1', 'v2'), { nil: undefined })).map(([to, visitId]): ItemCommand => ({
    type: 'ChangeStatus',
    to,
    changedBy: 'u1',
    reason: null,
    now: NOW,
    source: 'workflow',
    dataset: null,
    ...(visitId ? { visitId } : {}),
  })),
);

/** The events a run of commands produces (refused commands add nothing), as a stream would hold. */
function eventsOf(commands: ItemCommand[]): ItemEvent[] {
  const events: ItemEvent[] = [];
  let state = itemDecider.initialState();
  for (const c of [register, ...commands]) {
    let decided: ItemEvent[];
    try {
      decided = itemDecider.decide(c, state);
    } catch {
      continue;
    }
    for (const e of decided) {
      events.push(e);
      state = itemDecider.evolve(state, e);
    }
  }
  return events;
}

/** What a command decides on a state: its events, or the error it is refused with. */
function outcome(state: ItemState, c: ItemCommand): unknown {
  try {
    return itemDecider.decide(c, state);
  } catch (err) {
    return (err as Error).name;
  }
}

/** A snapshot as it comes back from the database: through JSON. */
const stored = (state: ItemState): ItemState => itemSnapshotting.fromSnapshot(JSON.parse(JSON.stringify(itemSnapshotting.toSnapshot(state))));

describe('item snapshots', () => {
  it('snapshot at any version + the events after it equals a fold of the whole stream', () => {
    fc.assert(
      fc.property(fc.array(command, { maxLength: 60 }), fc.nat(), fc.array(command, { minLength: 1, maxLength: 5 }), (commands, cut, probes) => {
        const events = eventsOf(commands);
        const at = cut % (events.length + 1);
        const full = fold(itemDecider, events);
        const resumed = events.slice(at).reduce(itemDecider.evolve, stored(fold(itemDecider, events.slice(0, at))));
        expect(itemSnapshotting.toSnapshot(resumed)).toEqual(itemSnapshotting.toSnapshot(full));
        expect([...annotationsOf(resumed).entries()]).toEqual([...annotationsOf(full).entries()]);
        // The rules see the same item: every next command decides the same way on both.
        for (const p of probes) expect(outcome(resumed, p)).toEqual(outcome(full, p));
      }),
      { numRuns: 300 },
    );
  });

  it('finds an annotation by id behind a log longer than one lookup walk, as the materialised map does', () => {
    const adds = Array.from({ length: 300 }, (_, i) => box(`aaaaaaaa-aaaa-4aaa-8aaa-${String(i).padStart(12, '0')}`, 'car', i));
    const events = eventsOf([
      ...adds.map((a): ItemCommand => ({ type: 'AddAnnotations', annotations: [a], now: NOW })),
      { type: 'DeleteAnnotation', annotationId: adds[3].id, now: NOW },
    ]);
    const state = fold(itemDecider, events);
    expect(annotationById(state, adds[3].id)).toBeUndefined();
    expect(annotationById(state, adds[0].id)).toEqual(adds[0]);
    expect(annotationById(state, adds[299].id)).toEqual(adds[299]);
    expect(annotationById(state, 'missing')).toBeUndefined();
    expect(annotationsOf(state).size).toBe(299);
  });
});
