import type { EndpointStateData } from '@stagehook/contracts';
import type { BatchContext } from '@stagehook/messaging';
import type { ClaimedDelivery, DeliveryQueue, NewDelivery, NewMessage } from '../../persistence/delivery-queue.repository.js';
import type { EndpointView } from '../../persistence/endpoint-read.repository.js';
import type { DeliveryHandoff } from '../shared/handoff.js';

/** A delivery to create, with its endpoint as the batch's transaction read it. */
export interface QueuedDelivery {
  delivery: NewDelivery;
  endpoint: EndpointView;
}

/** A message to create, with its deliveries. */
export interface QueuedMessage {
  msg: NewMessage;
  deliveries: QueuedDelivery[];
}

/**
 * Intake's writes of the messages its batch acked, in the batch's transaction, with the hand-off
 * of the new deliveries to this process's dispatcher (DeliveryHandoff).
 */
export class MessageWriter {
  constructor(
    private readonly deliveries: DeliveryQueue,
    private readonly dispatch: DeliveryHandoff,
  ) {}

  /**
   * Writes a batch's messages and deliveries. Those this process's dispatcher has room for are
   * written leased to it and handed over once the transaction commits (DeliveryHandoff); the
   * others wait for a claim, which the commit wakes rather than the next poll.
   */
  async write(ctx: BatchContext, messages: QueuedMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const taken = this.dispatch.reserve(
      messages.flatMap((x) => x.deliveries.filter((q) => q.endpoint.deliverable).map(({ delivery: d }) => ({ id: d.id, endpointId: d.endpointId, schedule: d.schedule }))),
    );
    const handed: ClaimedDelivery[] = [];
    let unleased = 0;
    // Registered before the statement: a statement that throws rolls back, and the slots come back.
    ctx.afterCommit(
      () => {
        if (handed.length > 0) this.dispatch.adopt(handed);
        if (unleased > 0) this.dispatch.wake();
      },
      () => this.dispatch.abandon(taken),
    );
    const created = await this.deliveries.createMessages(
      ctx.manager,
      messages.map((x) => ({ msg: x.msg, deliveries: x.deliveries.map((q) => q.delivery) })),
      taken.size > 0 ? { node: this.dispatch.node, ms: this.dispatch.leaseMs, ids: taken } : undefined,
    );
    const notWritten: string[] = [];
    for (const { msg, deliveries } of messages) {
      for (const { delivery, endpoint } of deliveries) {
        if (!created.has(msg.id)) {
          // The trigger already had its message (a redelivered event): nothing of it was written.
          if (taken.has(delivery.id)) notWritten.push(delivery.id);
        } else if (taken.has(delivery.id)) handed.push(leasedDelivery(msg, delivery, endpoint.state));
        else unleased++;
      }
    }
    this.dispatch.unreserve(notWritten);
  }
}

/**
 * A delivery intake just created leased to this node, as a claim would have read it back: its
 * first attempt, to the endpoint as intake's transaction read it (DeliveryHandoff).
 */
function leasedDelivery(msg: NewMessage, d: NewDelivery, endpoint: EndpointStateData): ClaimedDelivery {
  return {
    id: d.id,
    messageId: msg.id,
    endpointId: d.endpointId,
    projectId: msg.projectId,
    schedule: d.schedule,
    attempts: 0,
    maxAttempts: d.retryPolicy.maxAttempts,
    retryScheduleMs: d.retryPolicy.scheduleMs,
    eventType: msg.eventType,
    triggerEventId: msg.triggerEventId,
    itemId: msg.itemId ?? null,
    workflowId: msg.workflowId ?? null,
    stageId: msg.stageId ?? null,
    visitId: msg.visitId ?? null,
    writeBack: d.writeBack === true,
    body: msg.body,
    ...(msg.trace ? { trace: msg.trace } : {}),
    endpoint,
  };
}
