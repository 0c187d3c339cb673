import { Injectable } from '@nestjs/common';
import { MetricsService } from '@stagehook/platform';
import type { EntityManager } from 'typeorm';
import type { ItemHead } from '../../adapters/item-heads.js';
import { edgeTarget, stageById } from '../../domain/graph.js';
import { PositionsRepository } from '../../persistence/positions.repository.js';
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
    private readonly positions: PositionsRepository,
    metrics: MetricsService,
  ) {
    this.outcomes = metrics.counter({
      name: 'stagehook_workflow_delivery_outcomes_total',
      help: 'Delivery outcomes received: routed the current visit, or ignored (stale, duplicate, not a stage trigger)',
      labelNames: ['result'],
    });
  }

  /**
   * Whether routing this outcome enters a webhook stage, whose payload freezes the item's current
   * version (so the consumer asks items for it before its transaction). Any other stage keeps the
   * version the webhook visit froze, and no request is made. Reads outside any transaction; an
   * outcome about a visit that moved on needs nothing (routing will ignore it).
   */
  async entersWebhook(o: Pick<OutcomeInput, 'projectId' | 'workflowId' | 'itemId' | 'visitId' | 'outcome'>): Promise<boolean> {
    const pos = await this.positions.find(o.workflowId, o.itemId);
    if (!pos || pos.projectId !== o.projectId || pos.visitId !== o.visitId) return false;
    const graph = await this.stream.graphOf(o.workflowId, pos.workflowVersion);
    const stage = stageById(graph, pos.stageId);
    const next = stage ? stageById(graph, edgeTarget(stage, o.outcome === 'delivered' ? 'succeeded' : 'failed') ?? '') : undefined;
    // A graph that does not say (never on a saved version): ask, as before.
    return next === undefined || next.type === 'webhook';
  }

  /**
   * Routes a webhook stage's visit on a delivery outcome, inside the consumer's transaction (the
   * idempotency record commits with the events). Returns whether it moved the item.
   */
  async route(manager: EntityManager, o: OutcomeInput, itemHead: ItemHead | null): Promise<boolean> {
    // Every read on the handler's own connection: a second pooled one per handler could exhaust the pool.
    const pos = await this.positions.find(o.workflowId, o.itemId, manager);
    // Not ours, or already moved on: the decider would decide nothing; skip the items round trip.
    if (!pos || pos.projectId !== o.projectId || pos.visitId !== o.visitId) {
      this.outcomes.inc({ result: 'ignored' });
      return false;
    }
    const graph = await this.stream.graphOf(o.workflowId, pos.workflowVersion, manager);
    const head = itemHead?.version ?? pos.itemVersion;
    const unusable = await this.stream.unusable(o.projectId, graph, manager);
    const res = await this.stream.run(
      itemStreamId(o.workflowId, o.itemId),
      {
        type: 'RecordOutcome',
        outcome: o.outcome,
        visitId: o.visitId,
        deliveryId: o.deliveryId,
        lastError: o.lastError,
        ...this.stream.context(graph, head, unusable, {}, itemHead?.item),
      },
      { ...this.stream.metadata(o.projectId, o.correlationId), causationId: o.eventId },
      manager,
    );
    this.outcomes.inc({ result: res ? 'routed' : 'ignored' });
    return res;
  }
}
