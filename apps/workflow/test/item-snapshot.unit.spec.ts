import { describe, expect, it } from '@jest/globals';
import { fold } from '@stagehook/event-store';
import fc from 'fast-check';
import { templateStages } from '../src/domain/graph.js';
import { type ItemCommand, type ItemEvent, type ItemState, itemDecider, itemSnapshotting, type MoveContext } from '../src/domain/item.decider.js';

const seq = () => {
  let n = 0;
  return () => `s${++n}`;
};
const graph = templateStages({ endpointId: 'ep1', maxAttempts: 3, ids: seq() });
const now = new Date('2026-01-01T00:00:00.000Z');

type Step = 'start' | 'submit' | 'approve' | 'reject' | 'delivered' | 'failed';
const STEP = fc.constantFrom<Step>('start', 'submit', 'approve', 'reject', 'delivered', 'failed');
const STAGE_ACTIONS = { start: 'StartItem', submit: 'SubmitItem', approve: 'ApproveItem', reject: 'RejectItem' } as const;

/** The events of an item moved by `steps` (refused steps add nothing), as its stream would hold. */
function eventsOf(steps: Step[]): ItemEvent[] {
  let n = 0;
  const ctx = (): MoveContext => ({ graph, now, visitIds: [`v${++n}`, `v${++n}`], itemVersion: n });
  const events: ItemEvent[] = [];
  let state = itemDecider.initialState();
  const apply = (c: ItemCommand) => {
    let decided: ItemEvent[];
    try {
      decided = itemDecider.decide(c, state);
    } catch {
      return;
    }
    for (const e of decided) {
      events.push(e);
      state = itemDecider.evolve(state, e);
    }
  };
  apply({ type: 'AddItem', workflowId: 'w1', workflowVersion: 1, projectId: 'p1', itemId: 'i1', ...ctx() });
  for (const s of steps) {
    if (s === 'delivered' || s === 'failed') apply({ type: 'RecordOutcome', outcome: s, visitId: state.current?.visitId ?? 'none', deliveryId: `d${n}`, ...ctx() });
    else apply({ type: STAGE_ACTIONS[s], ...ctx() });
  }
  return events;
}

const stored = (s: ItemState): ItemState => itemSnapshotting.fromSnapshot(JSON.parse(JSON.stringify(itemSnapshotting.toSnapshot(s))));

describe('workflow item snapshots', () => {
  it('snapshot at any version + the events after it equals a fold of the whole stream', () => {
    fc.assert(
      fc.property(fc.array(STEP, { maxLength: 40 }), fc.nat(), (steps, cut) => {
        const events = eventsOf(steps);
        const at = cut % (events.length + 1);
        const resumed = events.slice(at).reduce(itemDecider.evolve, stored(fold(itemDecider, events.slice(0, at))));
        expect(resumed).toEqual(fold(itemDecider, events));
      }),
      { numRuns: 300 },
    );
  });

  it('moves an item through the whole template in the generated histories', () => {
    // The property above is only as good as its histories: they do reach review and complete.
    const types = eventsOf(['start', 'submit', 'delivered', 'approve']).map((e) => (e.type === 'workflow.stage.entered' ? e.data.stageType : e.type));
    expect(types).toContain('review');
    expect(types).toContain('complete');
  });
});
