import { Controller } from '@nestjs/common';
import { ConcurrencyConflictError } from '@stagehook/event-store';
import { OnEventBatch, Outcome, PrepareEvent, defineConsumer, settleEach, type BatchContext, type BatchItem, type HandlerOutcome, type TypedEvent } from '@stagehook/messaging';
import type { EntityManager } from 'typeorm';
import type { CloudEvent } from '@stagehook/contracts';
import { ItemsUnavailableError } from '../../adapters/item-heads.js';
import { type PreparedOutcome, RecordOutcomeHandler } from './record-outcome.handler.js';

type OutcomeEvent = TypedEvent<'delivery.webhook.delivered'> | TypedEvent<'delivery.webhook.failed'>;

/** A write-back stage's success: routed when items says the annotations are applied (write-back.consumer.ts). */
const waitsForItems = (d: OutcomeEvent['data']): boolean => 'writeBack' in d && d.writeBack !== undefined;
const outcomeOf = (event: OutcomeEvent): 'delivered' | 'failed' => (event.type === 'delivery.webhook.delivered' ? 'delivered' : 'failed');
const routable = (d: OutcomeEvent['data']): boolean => d.triggerType === 'workflow.stage.entered' && !!d.workflowId && !!d.itemId && !!d.visitId;

/**
 * WIRE NAME: the durable consumer (and msg_handled.consumer) of delivery outcomes. NATS 2.9 takes
 * one filter subject per consumer, so one consumer on `delivery.webhook.>` covers both outcomes.
 * Its concurrency comes from OUTCOME_CONCURRENCY (app.module.ts). Most outcomes are not a stage's
 * (status changes and other subscriptions): those are acked before any transaction opens.
 */
export const DeliveryOutcomesConsumer = defineConsumer({
  stream: 'DELIVERY',
  durable: 'workflow-delivery-outcomes',
  filterSubject: 'delivery.webhook.>',
  ackWaitMs: 30_000,
  maxDeliver: 20,
  relevant: (event: CloudEvent) => {
    const d = (event as OutcomeEvent).data;
    return routable(d) && !waitsForItems(d);
  },
});

/**
 * Routes the visit an outcome is about, many outcomes per transaction (never two of one item):
 * one begin, idempotency claim and commit for the batch instead of for each. Outcomes of visits
 * that moved on, and duplicates, are acked without effect.
 */
@Controller()
export class RecordOutcomeConsumer {
  constructor(private readonly handler: RecordOutcomeHandler) {}

  /**
   * Before the transaction: the item's position and its workflow version's graph are read once
   * and handed on; a webhook stage entered next freezes the item's current version, asked of items
   * here, waiting in place while items is down (never dead-lettering the outcome). Any other next
   * stage keeps the version the visit froze, and items is not asked.
   */
  @PrepareEvent(DeliveryOutcomesConsumer, 'batch')
  async prepare(event: CloudEvent): Promise<PreparedOutcome> {
    const e = event as OutcomeEvent;
    const d = e.data;
    return this.handler.prepare({ projectId: d.projectId, workflowId: d.workflowId!, itemId: d.itemId!, visitId: d.visitId!, outcome: outcomeOf(e) });
  }

  @OnEventBatch(DeliveryOutcomesConsumer, ['delivery.webhook.delivered', 'delivery.webhook.failed'])
  async route(items: BatchItem<OutcomeEvent>[], ctx: BatchContext): Promise<HandlerOutcome[]> {
    return settleEach(items, (item) => this.routeOne(ctx.manager, item.event, item.prepared as PreparedOutcome));
  }

  private async routeOne(manager: EntityManager, event: OutcomeEvent, prepared: PreparedOutcome): Promise<HandlerOutcome> {
    const d = event.data;
    try {
      await this.handler.route(
        manager,
        {
          outcome: outcomeOf(event),
          eventId: event.id,
          ...(event.correlationid ? { correlationId: event.correlationid } : {}),
          projectId: d.projectId,
          workflowId: d.workflowId!,
          itemId: d.itemId!,
          visitId: d.visitId!,
          deliveryId: d.deliveryId,
          lastError: d.lastError,
        },
        prepared,
      );
    } catch (err) {
      if (err instanceof ItemsUnavailableError) return Outcome.retry({ delayMs: 2_000, reason: err.message });
      // The item moved meanwhile (a client's command on it): nothing was written; route it again on its new state.
      if (err instanceof ConcurrencyConflictError) return Outcome.retry({ delayMs: 0, reason: err.message });
      throw err;
    }
    return Outcome.ack();
  }
}
