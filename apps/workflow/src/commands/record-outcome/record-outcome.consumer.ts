import { Controller } from '@nestjs/common';
import { OnEvent, Outcome, PrepareEvent, defineConsumer, type HandlerContext, type HandlerOutcome, type TypedEvent } from '@stagehook/messaging';
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
 * Routes the visit an outcome is about. Outcomes of other triggers (status changes), of visits
 * that moved on, and duplicates are acked without effect.
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
  @PrepareEvent(DeliveryOutcomesConsumer, ['delivery.webhook.delivered', 'delivery.webhook.failed'])
  async prepare(event: OutcomeEvent): Promise<PreparedOutcome | null> {
    const d = event.data;
    if (!routable(d) || waitsForItems(d)) return null;
    return this.handler.prepare({ projectId: d.projectId, workflowId: d.workflowId!, itemId: d.itemId!, visitId: d.visitId!, outcome: outcomeOf(event) });
  }

  @OnEvent(DeliveryOutcomesConsumer, ['delivery.webhook.delivered', 'delivery.webhook.failed'])
  async route(event: OutcomeEvent, ctx: HandlerContext & { prepared: PreparedOutcome | null }): Promise<HandlerOutcome> {
    const d = event.data;
    if (!routable(d)) return Outcome.ack();
    // A write-back stage's success routes once items has applied the annotations
    // (item.writeback.applied|rejected, write-back.consumer.ts), so the next stage's itemVersion holds them.
    if (waitsForItems(d)) return Outcome.ack();
    try {
      await this.handler.route(
        ctx.manager,
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
        ctx.prepared ?? { itemHead: null },
      );
    } catch (err) {
      if (err instanceof ItemsUnavailableError) return Outcome.retry({ delayMs: 2_000, reason: err.message });
      throw err;
    }
    return Outcome.ack();
  }
}
