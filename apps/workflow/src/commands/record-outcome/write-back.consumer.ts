import { Controller } from '@nestjs/common';
import { OnEvent, Outcome, defineConsumer, type HandlerContext, type HandlerOutcome, type TypedEvent } from '@stagehook/messaging';
import { RecordOutcomeHandler } from './record-outcome.handler.js';

/**
 * WIRE NAME: the durable consumer (and msg_handled.consumer) of items' write-back events. One
 * filter (NATS 2.9) covers applied and rejected. Concurrency: OUTCOME_CONCURRENCY.
 */
export const WriteBackConsumer = defineConsumer({ stream: 'ITEMS', durable: 'workflow-item-write-back', filterSubject: 'item.writeback.>' });

type WriteBackEvent = TypedEvent<'item.writeback.applied'> | TypedEvent<'item.writeback.rejected'>;

/**
 * Routes a write-back stage's visit once items has settled its delivery's annotations: applied
 * routes `succeeded` with the item version that holds them (the next stage's payload is frozen
 * at it); rejected (they name a slot the item lacks, or the stored document is gone) routes
 * `failed` with the reason. Visits that moved on and duplicates change nothing (the decider).
 */
@Controller()
export class WriteBackOutcomeConsumer {
  constructor(private readonly handler: RecordOutcomeHandler) {}

  @OnEvent(WriteBackConsumer, ['item.writeback.applied', 'item.writeback.rejected'])
  async settled(event: WriteBackEvent, ctx: HandlerContext): Promise<HandlerOutcome> {
    const d = event.data;
    await this.handler.route(
      ctx.manager,
      {
        outcome: event.type === 'item.writeback.applied' ? 'delivered' : 'failed',
        eventId: event.id,
        ...(event.correlationid ? { correlationId: event.correlationid } : {}),
        projectId: d.projectId,
        workflowId: d.workflowId,
        itemId: d.itemId,
        visitId: d.visitId,
        deliveryId: d.deliveryId,
        lastError: 'reason' in d ? d.reason : null,
      },
      // No request to items: the event says which version holds the annotations. No prepare
      // step either, so the graph is read in the transaction.
      { itemHead: { version: d.itemVersion } },
    );
    return Outcome.ack();
  }
}
