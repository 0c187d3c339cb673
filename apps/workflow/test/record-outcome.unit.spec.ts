import { describe, expect, it } from '@jest/globals';
import type { MetricsService } from '@stagehook/platform';
import type { EntityManager } from 'typeorm';
import type { ItemHead, ItemHeads } from '../src/adapters/item-heads.js';
import { RecordOutcomeHandler, type OutcomeInput } from '../src/commands/record-outcome/record-outcome.handler.js';
import type { ItemStream } from '../src/commands/shared/item-stream.js';
import { type Graph, type Stage, templateStages } from '../src/domain/graph.js';
import type { ItemCommand, ItemState, MoveContext } from '../src/domain/item.decider.js';

const seq = () => {
  let n = 0;
  return () => `s${++n}`;
};
// s1 dataset, s2 annotate, s3 webhook (ep1), s4 review, s5 complete; s3 failed → s4.
const template = templateStages({ endpointId: 'ep1', maxAttempts: 3, ids: seq() });
const outcome: OutcomeInput = {
  outcome: 'delivered',
  eventId: 'e1',
  projectId: 'p1',
  workflowId: 'w1',
  itemId: 'i1',
  visitId: 'v3',
  deliveryId: 'd1',
  lastError: null,
};
const inWebhook: ItemState = {
  workflowId: 'w1',
  itemId: 'i1',
  projectId: 'p1',
  workflowVersion: 2,
  current: { visitId: 'v3', stageId: 's3', stageType: 'webhook', stageName: 'Webhook' },
  completed: false,
  itemVersion: 5,
  visits: 3,
};
const tx = {} as EntityManager;

/** The handler over stand-ins that record what it reads, asks and runs; `states` are the item's, look by look. */
function setup(opts: { graph?: Graph; states?: ItemState[]; head?: ItemHead | null } = {}) {
  const graph = opts.graph ?? template;
  const states = [...(opts.states ?? [inWebhook, inWebhook])];
  const reads = { states: 0, graphs: [] as Array<EntityManager | undefined>, heads: 0 };
  const runs: ItemCommand[] = [];
  const stream = {
    graphOf: async (_w: string, _v: number, manager?: EntityManager) => (reads.graphs.push(manager), graph),
    unusableRecently: async () => ({}),
    context: (g: Graph, itemVersion: number): MoveContext => ({ graph: g, now: new Date(0), visitIds: ['n1', 'n2'], itemVersion }),
    metadata: () => ({ source: 'workflow', projectId: 'p1' }),
    peek: async () => (reads.states++, states.shift()!),
    // What was appended: one event stands for a routed visit.
    run: async (_s: string, command: (s: ItemState) => Promise<ItemCommand>) => (reads.states++, runs.push(await command(states.shift()!)), [{ type: 'workflow.stage.left' }]),
  } as unknown as ItemStream;
  const heads = { headOrWait: async () => (reads.heads++, opts.head ?? { version: 9 }) } as unknown as ItemHeads;
  const metrics = { counter: () => ({ inc: () => undefined }) } as unknown as MetricsService;
  return { handler: new RecordOutcomeHandler(stream, heads, metrics), reads, runs };
}

describe('routing an outcome', () => {
  it("reads the definition once, before the transaction, and decides on the item's state inside it", async () => {
    const { handler, reads, runs } = setup();
    const prepared = await handler.prepare(outcome);
    expect(await handler.route(tx, outcome, prepared)).toBe(true);
    expect(reads.graphs).toEqual([undefined]);
    expect(reads.states).toBe(2);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ type: 'RecordOutcome', outcome: 'delivered', visitId: 'v3', graph: template });
  });

  it('asks items only when the next stage is a webhook stage', async () => {
    const toReview = setup();
    expect((await toReview.handler.prepare(outcome)).itemHead).toBeNull();
    expect(toReview.reads.heads).toBe(0);

    const chained: Stage[] = template.map((s) =>
      s.id === 's3'
        ? {
            ...s,
            edges: [
              { name: 'succeeded', to: 's3b' },
              { name: 'failed', to: 's4' },
            ],
          }
        : s,
    );
    chained.push({
      id: 's3b',
      name: 'Second webhook',
      type: 'webhook',
      webhook: { endpointId: 'ep2', maxAttempts: 3 },
      edges: [
        { name: 'succeeded', to: 's4' },
        { name: 'failed', to: 's4' },
      ],
    });
    const toWebhook = setup({ graph: chained, head: { version: 9 } });
    const prepared = await toWebhook.handler.prepare(outcome);
    expect(prepared.itemHead).toEqual({ version: 9 });
    await toWebhook.handler.route(tx, outcome, prepared);
    expect(toWebhook.runs[0]).toMatchObject({ itemVersion: 9 });
  });

  it('ignores the outcome when the visit moved on between prepare and the transaction', async () => {
    const { handler, runs } = setup({ states: [inWebhook, { ...inWebhook, current: { visitId: 'v4', stageId: 's4', stageType: 'review', stageName: 'Review' } }] });
    const prepared = await handler.prepare(outcome);
    expect(await handler.route(tx, outcome, prepared)).toBe(false);
    expect(runs).toHaveLength(0);
  });

  it('reads the graph in the transaction when nothing was prepared (a write-back outcome)', async () => {
    const { handler, reads, runs } = setup({ states: [inWebhook] });
    expect(await handler.route(tx, outcome, { itemHead: { version: 8 } })).toBe(true);
    expect(reads.graphs).toEqual([tx]);
    expect(runs[0]).toMatchObject({ graph: template, itemVersion: 8 });
  });
});
