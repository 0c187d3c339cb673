import { describe, expect, it } from '@jest/globals';
import { fold, given } from '@stagehook/event-store';
import { AlreadyInWorkflowError, ItemNotInWorkflowError, StageNotAllowedError, StaleVisitError } from '../src/domain/errors.js';
import { templateStages } from '../src/domain/graph.js';
import { type ItemCommand, type ItemEvent, itemDecider, type MoveContext, stageEnteredBy } from '../src/domain/item.decider.js';

const seq = () => {
  let n = 0;
  return () => `s${++n}`;
};
// s1 dataset, s2 annotate, s3 webhook (ep1), s4 review, s5 complete
const graph = templateStages({ endpointId: 'ep1', maxAttempts: 3, ids: seq() });
const now = new Date('2026-01-01T00:00:00.000Z');
const at = now.toISOString();
const ctx = (over: Partial<MoveContext> = {}): MoveContext => ({ graph, now, visitIds: ['vA', 'vB', 'vC'], itemVersion: 7, ...over });
const ids = { workflowId: 'w1', itemId: 'i1', projectId: 'p1' };

const entered = (visitId: string, stage: 1 | 2 | 3 | 4 | 5, itemVersion = 7): ItemEvent => {
  const s = graph[stage - 1];
  return {
    type: 'workflow.stage.entered',
    data: {
      ...ids,
      workflowVersion: 1,
      stageId: s.id,
      stageType: s.type,
      stageName: s.name,
      visitId,
      itemVersion,
      enteredAt: at,
      ...(s.type === 'webhook' ? { webhook: { endpointId: 'ep1', maxAttempts: 3 } } : {}),
    },
  };
};
const left = (visitId: string, stage: 1 | 2 | 3 | 4 | 5, edge: string, to: string, extra: Record<string, string> = {}): ItemEvent => {
  const s = graph[stage - 1];
  return { type: 'workflow.stage.left', data: { ...ids, stageId: s.id, stageType: s.type, visitId, edge, toStageId: to, leftAt: at, ...extra } };
};

const inDataset = [entered('v1', 1)];
const inAnnotate = [...inDataset, left('v1', 1, 'default', 's2'), entered('v2', 2)];
const inWebhook = [...inAnnotate, left('v2', 2, 'default', 's3'), entered('v3', 3)];
const inReview = [...inWebhook, left('v3', 3, 'succeeded', 's4', { deliveryId: 'd1' }), entered('v4', 4)];
const outcome = (o: 'delivered' | 'failed', visitId: string, deliveryId = 'd1', extra: Partial<ItemCommand> = {}): ItemCommand =>
  ({ type: 'RecordOutcome', outcome: o, visitId, deliveryId, ...ctx(), ...extra }) as ItemCommand;

describe('items in a workflow', () => {
  it('adding an item enters the dataset stage with a visit and the item version', () => {
    given(itemDecider)
      .when({ type: 'AddItem', ...ids, workflowVersion: 1, ...ctx({ visitIds: ['v1'] }) })
      .then([entered('v1', 1)]);
  });

  it('refuses to add an item twice', () => {
    given(itemDecider, inDataset)
      .when({ type: 'AddItem', ...ids, workflowVersion: 1, ...ctx() })
      .thenThrows(AlreadyInWorkflowError);
  });

  it('a webhook stage entry carries the item summary of its frozen version, so delivery need not ask items again', () => {
    const item = {
      id: 'i1',
      projectId: 'p1',
      datasetId: 'ds1',
      datasetName: 'D',
      datasetSlug: 'd',
      name: 'a.jpg',
      path: '/',
      status: 'in_progress' as const,
      tags: [],
      version: 7,
      metadata: {},
      slots: [],
    };
    const carried = entered('v3', 3);
    given(itemDecider, inAnnotate)
      .when({ type: 'SubmitItem', ...ctx({ visitIds: ['v3'], item }) })
      .then([left('v2', 2, 'default', 's3'), { ...carried, data: { ...carried.data, item } } as ItemEvent]);
    // A summary of another version than the one frozen is left out (delivery asks items for it).
    given(itemDecider, inAnnotate)
      .when({ type: 'SubmitItem', ...ctx({ visitIds: ['v3'], item: { ...item, version: 6 } }) })
      .then([left('v2', 2, 'default', 's3'), entered('v3', 3)]);
    // Stages that deliver nothing carry none.
    given(itemDecider, inDataset)
      .when({ type: 'StartItem', ...ctx({ visitIds: ['v2'], item }) })
      .then([left('v1', 1, 'default', 's2'), entered('v2', 2)]);
  });

  it('start moves the item from dataset to annotate', () => {
    given(itemDecider, inDataset)
      .when({ type: 'StartItem', ...ctx({ visitIds: ['v2'] }) })
      .then([left('v1', 1, 'default', 's2'), entered('v2', 2)]);
  });

  it('submit enters the webhook stage with its config and the version the command carried', () => {
    given(itemDecider, inAnnotate)
      .when({ type: 'SubmitItem', ...ctx({ visitIds: ['v3'], itemVersion: 9, by: 'ann' }) })
      .then([left('v2', 2, 'default', 's3', { by: 'ann' }), entered('v3', 3, 9)]);
  });

  it('never freezes a lower item version than an earlier entry did', () => {
    const events = itemDecider.decide({ type: 'SubmitItem', ...ctx({ visitIds: ['v3'], itemVersion: 2 }) }, fold(itemDecider, inAnnotate));
    expect((events[1].data as { itemVersion: number }).itemVersion).toBe(7);
  });

  it('a command not allowed in the current stage names the stage', () => {
    given(itemDecider, inWebhook)
      .when({ type: 'ApproveItem', ...ctx() })
      .thenThrows(StageNotAllowedError, /approve is not allowed in stage 'Webhook' \(webhook\)/);
    given(itemDecider, inDataset)
      .when({ type: 'SubmitItem', ...ctx() })
      .thenThrows(StageNotAllowedError, /'Dataset'/);
  });

  it('commands on an item that is not in the workflow are refused', () => {
    given(itemDecider)
      .when({ type: 'StartItem', ...ctx() })
      .thenThrows(ItemNotInWorkflowError);
  });

  it('delivered for the current visit routes through succeeded', () => {
    given(itemDecider, inWebhook)
      .when(outcome('delivered', 'v3'))
      .then([left('v3', 3, 'succeeded', 's4', { deliveryId: 'd1' }), entered('vA', 4)]);
  });

  it('failed for the current visit routes through failed with the reason', () => {
    given(itemDecider, inWebhook)
      .when(outcome('failed', 'v3', 'd9', { lastError: 'HTTP 500' }))
      .then([left('v3', 3, 'failed', 's4', { deliveryId: 'd9', reason: 'HTTP 500' }), entered('vA', 4)]);
  });

  it('a duplicate outcome changes nothing', () => {
    given(itemDecider, inReview).when(outcome('delivered', 'v3')).then([]);
  });

  it('an outcome for a visit that is no longer current changes nothing, even a different one', () => {
    given(itemDecider, inReview)
      .when(outcome('failed', 'v3', 'd2'))
      .then([]);
    given(itemDecider, inAnnotate).when(outcome('delivered', 'v-unknown')).then([]);
  });

  it("the reject loop: review → annotate → webhook again gets a new visit; the first visit's outcome is then stale", () => {
    const rejected = [...inReview, left('v4', 4, 'reject', 's2'), entered('v5', 2)];
    given(itemDecider, inReview)
      .when({ type: 'RejectItem', ...ctx({ visitIds: ['v5'] }) })
      .then([left('v4', 4, 'reject', 's2'), entered('v5', 2)]);
    const again = [...rejected, left('v5', 2, 'default', 's3'), entered('v6', 3)];
    given(itemDecider, rejected)
      .when({ type: 'SubmitItem', ...ctx({ visitIds: ['v6'] }) })
      .then([left('v5', 2, 'default', 's3'), entered('v6', 3)]);
    given(itemDecider, again).when(outcome('delivered', 'v3')).then([]);
    given(itemDecider, again)
      .when(outcome('failed', 'v6', 'd2'))
      .then([left('v6', 3, 'failed', 's4', { deliveryId: 'd2' }), entered('vA', 4)]);
  });

  it('approve completes the item', () => {
    given(itemDecider, inReview)
      .when({ type: 'ApproveItem', ...ctx({ visitIds: ['v5'] }) })
      .then([left('v4', 4, 'approve', 's5'), entered('v5', 5), { type: 'workflow.item.completed', data: { ...ids, visitId: 'v5', completedAt: at } }]);
  });

  it('a second review of the same visit is refused (the first moved the item on)', () => {
    const approved = [...inReview, left('v4', 4, 'approve', 's5'), entered('v5', 5)];
    given(itemDecider, approved)
      .when({ type: 'ApproveItem', ...ctx() })
      .thenThrows(StageNotAllowedError, /Complete/);
    given(itemDecider, approved)
      .when({ type: 'RejectItem', ...ctx({ expectedVisitId: 'v4' }) })
      .thenThrows(StaleVisitError);
  });

  it('a webhook stage with a disabled endpoint fails fast through failed with the reason', () => {
    given(itemDecider, inAnnotate)
      .when({ type: 'SubmitItem', ...ctx({ visitIds: ['v3', 'v4'], unusableEndpoints: { ep1: 'disabled' } }) })
      .then([left('v2', 2, 'default', 's3'), entered('v3', 3), left('v3', 3, 'failed', 's4', { reason: 'endpoint ep1 is disabled' }), entered('v4', 4)]);
  });

  describe('a loop of webhook stages whose endpoint cannot deliver', () => {
    const loop = [
      { id: 'd', name: 'D', type: 'dataset' as const, edges: [{ name: 'default', to: 'w' }] },
      {
        id: 'w',
        name: 'W',
        type: 'webhook' as const,
        edges: [
          { name: 'succeeded', to: 'c' },
          { name: 'failed', to: 'w' },
        ],
        webhook: { endpointId: 'gone' },
      },
      { id: 'c', name: 'C', type: 'complete' as const, edges: [] },
    ];
    const inD: ItemEvent[] = [
      { type: 'workflow.stage.entered', data: { ...ids, workflowVersion: 1, stageId: 'd', stageType: 'dataset', stageName: 'D', visitId: 'x0', itemVersion: 1, enteredAt: at } },
    ];
    const wEntered = (visitId: string, webhook: boolean): ItemEvent => ({
      type: 'workflow.stage.entered',
      data: {
        ...ids,
        workflowVersion: 1,
        stageId: 'w',
        stageType: 'webhook',
        stageName: 'W',
        visitId,
        itemVersion: 7,
        enteredAt: at,
        ...(webhook ? { webhook: { endpointId: 'gone' } } : {}),
      },
    });
    const reason = "endpoint gone is deleted, and the stage's failed route leads back to webhook stages that cannot deliver";
    const parked: ItemEvent = { type: 'workflow.item.parked', data: { ...ids, stageId: 'w', visitId: 'x2', endpointId: 'gone', reason, parkedAt: at } };
    const parkedHistory = [
      ...inD,
      { type: 'workflow.stage.left', data: { ...ids, stageId: 'd', stageType: 'dataset', visitId: 'x0', edge: 'default', toStageId: 'w', leftAt: at } },
      wEntered('x1', true),
      {
        type: 'workflow.stage.left',
        data: { ...ids, stageId: 'w', stageType: 'webhook', visitId: 'x1', edge: 'failed', toStageId: 'w', leftAt: at, reason: 'endpoint gone is deleted' },
      },
      wEntered('x2', false),
      parked,
    ] as ItemEvent[];

    it('parks the item at the second pass, entered without a delivery, instead of bouncing forever', () => {
      given(itemDecider, inD)
        .when({ type: 'StartItem', ...ctx({ graph: loop, visitIds: ['x1', 'x2', 'x3'], unusableEndpoints: { gone: 'deleted' } }) })
        .then(parkedHistory.slice(1));
    });

    it('an outcome that routes back into the loop parks too (it used to enter with a delivery that failed at once, at event speed)', () => {
      const waiting = [...parkedHistory.slice(0, 3)];
      given(itemDecider, waiting)
        .when({
          type: 'RecordOutcome',
          outcome: 'failed',
          visitId: 'x1',
          deliveryId: 'dd',
          lastError: 'endpoint disabled or deleted',
          ...ctx({ graph: loop, visitIds: ['x2'], unusableEndpoints: { gone: 'deleted' } }),
        })
        .then([
          {
            type: 'workflow.stage.left',
            data: {
              ...ids,
              stageId: 'w',
              stageType: 'webhook',
              visitId: 'x1',
              edge: 'failed',
              toStageId: 'w',
              leftAt: at,
              deliveryId: 'dd',
              reason: 'endpoint disabled or deleted',
            },
          },
          wEntered('x2', false),
          parked,
        ]);
    });

    it('resumes a parked item when its endpoint can deliver again: the stage is entered afresh with a delivery', () => {
      given(itemDecider, parkedHistory)
        .when({ type: 'ResumeVisit', visitId: 'x2', endpointId: 'gone', ...ctx({ graph: loop, visitIds: ['x3'] }) })
        .then([
          {
            type: 'workflow.stage.left',
            data: { ...ids, stageId: 'w', stageType: 'webhook', visitId: 'x2', edge: 'resume', toStageId: 'w', leftAt: at, reason: 'endpoint gone can take deliveries again' },
          },
          wEntered('x3', true),
        ]);
      // A resume for another endpoint, or for an item not parked, changes nothing.
      given(itemDecider, parkedHistory)
        .when({ type: 'ResumeVisit', visitId: 'x2', endpointId: 'other', ...ctx({ graph: loop }) })
        .then([]);
      given(itemDecider, parkedHistory.slice(0, 3))
        .when({ type: 'ResumeVisit', visitId: 'x1', endpointId: 'gone', ...ctx({ graph: loop }) })
        .then([]);
    });
  });

  it('move takes a named edge and refuses an edge the stage lacks', () => {
    given(itemDecider, inWebhook)
      .when({ type: 'MoveItem', edge: 'failed', ...ctx() })
      .then([left('v3', 3, 'failed', 's4'), entered('vA', 4)]);
    given(itemDecider, inWebhook)
      .when({ type: 'MoveItem', edge: 'approve', ...ctx() })
      .thenThrows(StageNotAllowedError, /Webhook/);
  });

  it('set stage records who and why, even out of complete', () => {
    const done = [...inReview, left('v4', 4, 'approve', 's5'), entered('v5', 5)];
    given(itemDecider, done)
      .when({ type: 'SetStage', stageId: 's2', by: 'admin1', reason: 'redo', ...ctx({ visitIds: ['v6'] }) })
      .then([left('v5', 5, 'admin', 's2', { by: 'admin1', reason: 'redo' }), entered('v6', 2)]);
    given(itemDecider, done)
      .when({ type: 'SetStage', stageId: 'nope', by: 'a', reason: 'r', ...ctx() })
      .thenThrows(StageNotAllowedError, /unknown stage/);
  });

  it('an endpoint disabled while a visit waits on it routes that visit through failed', () => {
    given(itemDecider, inWebhook)
      .when({ type: 'MarkEndpointUnusable', visitId: 'v3', endpointId: 'ep1', status: 'deleted', ...ctx() })
      .then([left('v3', 3, 'failed', 's4', { reason: 'endpoint ep1 is deleted' }), entered('vA', 4)]);
  });

  it('an endpoint change for a visit that moved on, or for another endpoint, changes nothing', () => {
    given(itemDecider, inReview)
      .when({ type: 'MarkEndpointUnusable', visitId: 'v3', endpointId: 'ep1', status: 'disabled', ...ctx() })
      .then([]);
    given(itemDecider, inWebhook)
      .when({ type: 'MarkEndpointUnusable', visitId: 'v3', endpointId: 'other', status: 'disabled', ...ctx() })
      .then([]);
  });
});

describe('the stage a client command enters (whether items is asked for the version)', () => {
  const state = (events: ItemEvent[]) => fold(itemDecider, events);

  it("follows the action's edge from the current stage", () => {
    expect(stageEnteredBy({ type: 'StartItem' }, state(inDataset), graph)?.type).toBe('annotate');
    expect(stageEnteredBy({ type: 'SubmitItem' }, state(inAnnotate), graph)?.type).toBe('webhook');
    expect(stageEnteredBy({ type: 'ApproveItem' }, state(inReview), graph)?.type).toBe('complete');
    expect(stageEnteredBy({ type: 'MoveItem', edge: 'default' }, state(inAnnotate), graph)?.type).toBe('webhook');
    expect(stageEnteredBy({ type: 'SetStage', stageId: 's3' }, state(inReview), graph)?.type).toBe('webhook');
  });

  it('cannot tell for a command that will be refused', () => {
    expect(stageEnteredBy({ type: 'StartItem' }, state([]), graph)).toBeUndefined();
    expect(stageEnteredBy({ type: 'MoveItem', edge: 'nope' }, state(inAnnotate), graph)).toBeUndefined();
    expect(stageEnteredBy({ type: 'SetStage', stageId: 'nope' }, state(inReview), graph)).toBeUndefined();
  });
});
