import { defineHandlers, type EventHandlers, Outcome, type TypedEvent } from '@stagehook/messaging';
import type { ItemCommandsService } from '../items/item-commands.service.js';

/**
 * WIRE NAME: the durable consumer (and msg_handled.consumer) of items' write-back events. One
 * filter (NATS 2.9) covers applied and rejected.
 */
export const WRITE_BACK_DURABLE = 'workflow-item-write-back';
export const WRITE_BACK_FILTER = 'item.writeback.>';

type WriteBackEvent = TypedEvent<'item.writeback.applied'> | TypedEvent<'item.writeback.rejected'>;

/**
 * Routes a write-back stage's visit once items has settled its delivery's annotations: applied
 * routes `succeeded` with the item version that holds them (the next stage's payload is frozen
 * at it); rejected (they name a slot the item lacks, or the stored document is gone) routes
 * `failed` with the reason. Visits that moved on and duplicates change nothing (the decider).
 */
export function writeBackHandlers(commands: ItemCommandsService): EventHandlers {
  const handler = (outcome: 'delivered' | 'failed') => async (event: WriteBackEvent, ctx: { manager: Parameters<ItemCommandsService['routeOutcome']>[0] }) => {
    const d = event.data;
    await commands.routeOutcome(
      ctx.manager,
      {
        outcome,
        eventId: event.id,
        ...(event.correlationid ? { correlationId: event.correlationid } : {}),
        projectId: d.projectId,
        workflowId: d.workflowId,
        itemId: d.itemId,
        visitId: d.visitId,
        deliveryId: d.deliveryId,
        lastError: 'reason' in d ? d.reason : null,
      },
      // No request to items: the event says which version holds the annotations.
      d.itemVersion,
    );
    return Outcome.ack();
  };
  return defineHandlers({
    'item.writeback.applied': handler('delivered'),
    'item.writeback.rejected': handler('failed'),
  });
}
