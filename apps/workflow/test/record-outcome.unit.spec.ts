import { describe, expect, it } from '@jest/globals';
import type { MetricsService } from '@stagehook/platform';
import type { EntityManager } from 'typeorm';
import type { ItemHead, ItemHeads } from '../src/adapters/item-heads.js';
import { RecordOutcomeHandler, type OutcomeInput } from '../src/commands/record-outcome/record-outcome.handler.js';
import type { ItemStream } from '../src/commands/shared/item-stream.js';
import { type Graph, type Stage, templateStages } from '../src/domain/graph.js';
import type { ItemCommand, MoveContext } from '../src/domain/item.decider.js';
import type { PositionsRepository } from '../src/persistence/positions.repository.js';
import type { PositionView } from '../src/persistence/views.js';

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
const inWebhook: PositionView = {
  workflowId: 'w1',
  itemId: 'i1',
  projectId: 'p1',
  workflowVersion: 2,
  stageId: 's3',
  stageType: 'webhook',
  stageName: 'Webhook',
  visitId: 'v3',
  itemVersion: 5,
  enteredAt: '2026-01-01T00:00:00.000Z',
  completed: false,
  state: 'waiting',
};
const tx = {} as EntityManager;

/** The handler over stand-ins that record what it reads, asks and runs. */
function setup(opts: { graph?: Graph; positions?: Array<PositionView | undefined>; head?: ItemHead | null } = {}) {
  const graph = opts.graph ?? template;
  const positions = [...(opts.positions ?? [inWebhook, inWebhook])];
  const reads = { positions: [] as Array<EntityManager | undefined>, graphs: [] as Array<EntityManager | undefined>, heads: 0 };
  const runs: ItemCommand[] = [];
  const stream = {
    graphOf: async (_w: string, _v: number, manager?: EntityManager) => (reads.graphs.push(manager), graph),
    unusable: async () => ({}),
    context: (g: Graph, itemVersion: number): MoveContext => ({ graph: g, now: new Date(0), visitIds: ['n1', 'n2'], itemVersion }),
    metadata: () => ({ source: 'workflow', projectId: 'p1' }),
    // What was appended: one event stands for a routed visit.
    run: async (_s: string, command: ItemCommand) => (runs.push(command), [{ type: 'workflow.stage.left' }]),
  } as unknown as ItemStream;
  const repo = { find: async (_w: string, _i: string, manager?: EntityManager) => (reads.positions.push(manager), positions.shift()) } as unknown as PositionsRepository;
  const heads = { headOrWait: async () => (reads.heads++, opts.head ?? { version: 9 }) } as unknown as ItemHeads;
  const metrics = { counter: () => ({ inc: () => undefined }) } as unknown as MetricsService;
  return { handler: new RecordOutcomeHandler(stream, repo, heads, metrics), reads, runs };
}

describe('routing an outcome', () => {
  it('reads the definition once, before the transaction, and the position again inside it', async () => {
    const { handler, reads, runs } = setup();
    const prepared = await handler.prepare(outcome);
    expect(await handler.route(tx, outcome, prepared)).toBe(true);
    expect(reads.graphs).toEqual([undefined]);
    expect(reads.positions).toEqual([undefined, tx]);
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
    const { handler, runs } = setup({ positions: [inWebhook, { ...inWebhook, visitId: 'v4', stageId: 's4', stageType: 'review' }] });
    const prepared = await handler.prepare(outcome);
    expect(await handler.route(tx, outcome, prepared)).toBe(false);
    expect(runs).toHaveLength(0);
  });

  it('reads the graph in the transaction when nothing was prepared (a write-back outcome)', async () => {
    const { handler, reads, runs } = setup({ positions: [inWebhook] });
    expect(await handler.route(tx, outcome, { itemHead: { version: 8 } })).toBe(true);
    expect(reads.graphs).toEqual([tx]);
    expect(runs[0]).toMatchObject({ graph: template, itemVersion: 8 });
  });
});
