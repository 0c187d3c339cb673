import { Injectable } from '@nestjs/common';
import { MetricsService } from '@stagehook/platform';
import type { EntityManager } from 'typeorm';
import { type ItemHead, ItemHeads } from '../../adapters/item-heads.js';
import { edgeTarget, type Graph, stageById } from '../../domain/graph.js';
import type { CurrentVisit, ItemState } from '../../domain/item.decider.js';
import { ItemStream, itemStreamId } from '../shared/item-stream.js';

export interface OutcomeInput {
  outcome: 'delivered' | 'failed';
  eventId: string;
  correlationId?: string;
  projectId: string;
  workflowId: string;
  itemId: string;
  visitId: string;
  deliveryId: string;
  lastError: string | null;
}

/** What the step before the transaction read, handed into it so it is not read twice. */
export interface PreparedOutcome {
  /**
   * The item's current version (with the summary a stage entry may carry) when routing enters a
   * webhook stage, whose payload freezes it; null keeps the version the webhook visit froze.
   */
  itemHead: ItemHead | null;
  /**
   * The graph of the workflow version the item runs on. A version never changes once saved, so
   * the one read before the transaction is the one inside it. Absent when nothing was read.
   */
  definition?: { workflowVersion: number; graph: Graph };
}

/**
 * RecordOutcome: routes a webhook stage's visit on its outcome (delivery's delivered / failed,
 * or items' write-back applied / rejected) through `succeeded` or `failed`. Stale or duplicate
 * outcomes change nothing.
 */
@Injectable()
export class RecordOutcomeHandler {
  private readonly outcomes: ReturnType<MetricsService['counter']>;

  constructor(
    private readonly stream: ItemStream,
    private readonly heads: ItemHeads,
    metrics: MetricsService,
  ) {
    this.outcomes = metrics.counter({
      name: 'stagehook_workflow_delivery_outcomes_total',
      help: 'Delivery outcomes received: routed the current visit, or ignored (stale, duplicate, not a stage trigger)',
      labelNames: ['result'],
    });
  }

  /**
   * Before the consumer's transaction (never inside it: items is asked here): looks at the item's
   * state (as this process last decided it, else read) and its version's graph. Routing into a
   * webhook stage freezes the item's current version, so items is asked for it, waiting in place
   * while items is down; any other next stage keeps the version the webhook visit froze, and items
   * is not asked. An outcome about a visit that moved on needs nothing (routing will ignore it).
   */
  async prepare(o: Pick<OutcomeInput, 'projectId' | 'workflowId' | 'itemId' | 'visitId' | 'outcome'>): Promise<PreparedOutcome> {
    const state = await this.stream.peek(itemStreamId(o.workflowId, o.itemId));
    if (!isVisitOf(state, o)) return { itemHead: null };
    const graph = await this.stream.graphOf(o.workflowId, state.workflowVersion);
    const stage = stageById(graph, state.current.stageId);
    const next = stage ? stageById(graph, edgeTarget(stage, o.outcome === 'delivered' ? 'succeeded' : 'failed') ?? '') : undefined;
    // A graph that does not say (never on a saved version): ask, as before.
    const entersWebhook = next === undefined || next.type === 'webhook';
    return { itemHead: entersWebhook ? await this.heads.headOrWait(o.projectId, o.itemId) : null, definition: { workflowVersion: state.workflowVersion, graph } };
  }

  /**
   * Routes the visit inside the consumer's transaction (the idempotency record commits with the
   * events), on the item's state as its stream has it: the visit may have moved on since prepare
   * (and the append's expected version catches a move racing this one). The graph is taken from
   * prepare when it is of the item's version. Returns whether it moved the item.
   */
  async route(manager: EntityManager, o: OutcomeInput, prepared: PreparedOutcome): Promise<boolean> {
    const appended = await this.stream
      .run(
        itemStreamId(o.workflowId, o.itemId),
        async (state) => {
          // Not ours, or already moved on: nothing to decide (asked again of a read state if cached).
          if (!isVisitOf(state, o)) throw new OutcomeIgnored();
          const graph =
            prepared.definition?.workflowVersion === state.workflowVersion ? prepared.definition.graph : await this.stream.graphOf(o.workflowId, state.workflowVersion, manager);
          const unusable = await this.stream.unusableRecently(o.projectId, graph);
          return {
            type: 'RecordOutcome' as const,
            outcome: o.outcome,
            visitId: o.visitId,
            deliveryId: o.deliveryId,
            lastError: o.lastError,
            ...this.stream.context(graph, prepared.itemHead?.version ?? state.itemVersion, unusable, {}, prepared.itemHead?.item),
          };
        },
        { ...this.stream.metadata(o.projectId, o.correlationId), causationId: o.eventId },
        manager,
      )
      .catch((err: unknown) => {
        if (err instanceof OutcomeIgnored) return [];
        throw err;
      });
    const routed = appended.length > 0;
    this.outcomes.inc({ result: routed ? 'routed' : 'ignored' });
    return routed;
  }
}

/** Thrown (and caught) when an outcome is not about the item's current visit in its project. */
class OutcomeIgnored extends Error {}

function isVisitOf(state: ItemState, o: Pick<OutcomeInput, 'projectId' | 'visitId'>): state is ItemState & { current: CurrentVisit } {
  return state.projectId === o.projectId && state.current?.visitId === o.visitId;
}
