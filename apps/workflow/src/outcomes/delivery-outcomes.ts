import { defineHandlers, type EventHandlers, Outcome, type TypedEvent } from '@stagehook/messaging';
import type { HandlerContext, HandlerOutcome } from '@stagehook/messaging';
import { ItemsUnavailableError } from '../shared/item-heads.js';
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
export function deliveryOutcomeHandlers(commands: ItemCommandsService): EventHandlers {
  const route = async (outcome: 'delivered' | 'failed', event: OutcomeEvent, ctx: HandlerContext): Promise<HandlerOutcome> => {
    const d = event.data;
    if (d.triggerType !== 'workflow.stage.entered' || !d.workflowId || !d.itemId || !d.visitId) return Outcome.ack();
    try {
      await commands.routeOutcome(ctx.manager, {
        outcome,
        eventId: event.id,
        ...(event.correlationid ? { correlationId: event.correlationid } : {}),
        projectId: d.projectId,
        workflowId: d.workflowId,
        itemId: d.itemId,
        visitId: d.visitId,
        deliveryId: d.deliveryId,
        lastError: d.lastError,
      });
    } catch (err) {
      // The next stage's entry needs the item's version; wait for the items service.
      if (err instanceof ItemsUnavailableError) return Outcome.retry({ delayMs: 2_000, reason: err.message });
      throw err;
    }
    return Outcome.ack();
  };
  return defineHandlers({
    'delivery.webhook.delivered': (event, ctx) => route('delivered', event, ctx),
    'delivery.webhook.failed': (event, ctx) => route('failed', event, ctx),
  });
}
