import { defineHandlers, type EventHandlers, Outcome, prepared, type TypedEvent } from '@stagehook/messaging';
import { type ItemHeads, ItemsUnavailableError } from '../shared/item-heads.js';
import type { ItemCommandsService } from '../items/item-commands.service.js';

/**
 * WIRE NAME: the durable consumer (and msg_handled.consumer) of delivery outcomes. NATS 2.9 takes
 * one filter subject per consumer, so one consumer on `delivery.webhook.>` covers both outcomes.
 */
export const OUTCOMES_DURABLE = 'workflow-delivery-outcomes';
export const OUTCOMES_FILTER = 'delivery.webhook.>';

type OutcomeEvent = TypedEvent<'delivery.webhook.delivered'> | TypedEvent<'delivery.webhook.failed'>;

/**
 * Routes the visit an outcome is about. Outcomes of other triggers (status changes), of visits
 * that moved on, and duplicates are acked without effect.
 */
export function deliveryOutcomeHandlers(commands: ItemCommandsService, heads: ItemHeads): EventHandlers {
  /** A write-back stage's success: routed when items says the annotations are applied (write-back.ts). */
  const waitsForItems = (d: OutcomeEvent['data']) => 'writeBack' in d && d.writeBack !== undefined;
  const routable = (d: OutcomeEvent['data']) => d.triggerType === 'workflow.stage.entered' && !!d.workflowId && !!d.itemId && !!d.visitId;
  const handler = (outcome: 'delivered' | 'failed') =>
    prepared<'delivery.webhook.delivered' | 'delivery.webhook.failed', number | null>({
      // The next stage's entry freezes the item's current version: asked of items here, before
      // the transaction, waiting in place while items is down (never dead-lettering the outcome).
      prepare: async (event) => (routable(event.data) && !waitsForItems(event.data) ? heads.versionOrWait(event.data.projectId, event.data.itemId!) : null),
      handle: async (event, ctx) => {
        const d = event.data;
        if (!routable(d)) return Outcome.ack();
        // A write-back stage's success routes once items has applied the annotations
        // (item.writeback.applied|rejected, write-back.ts), so the next stage's itemVersion holds them.
        if (waitsForItems(d)) return Outcome.ack();
        try {
          await commands.routeOutcome(
            ctx.manager,
            {
              outcome,
              eventId: event.id,
              ...(event.correlationid ? { correlationId: event.correlationid } : {}),
              projectId: d.projectId,
              workflowId: d.workflowId!,
              itemId: d.itemId!,
              visitId: d.visitId!,
              deliveryId: d.deliveryId,
              lastError: d.lastError,
            },
            ctx.prepared,
          );
        } catch (err) {
          if (err instanceof ItemsUnavailableError) return Outcome.retry({ delayMs: 2_000, reason: err.message });
          throw err;
        }
        return Outcome.ack();
      },
    });
  return defineHandlers({
    'delivery.webhook.delivered': handler('delivered'),
    'delivery.webhook.failed': handler('failed'),
  });
}
