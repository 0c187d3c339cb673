import { Controller } from '@nestjs/common';
import { OnEvent, Outcome, defineConsumer, type HandlerContext, type HandlerOutcome, type TypedEvent } from '@stagehook/messaging';
import { DefinitionsRepository } from '../../persistence/definitions.repository.js';
import { EnterFromDatasetHandler } from './enter-from-dataset.handler.js';

/**
 * WIRE NAME: the durable consumer (and msg_handled.consumer) of item registrations, for
 * dataset-bound workflows. Handled one at a time (concurrency 1) so items enter in the order
 * they were registered.
 */
export const DatasetIntakeConsumer = defineConsumer({ stream: 'ITEMS', durable: 'workflow-dataset-intake', filterSubject: 'item.registered', concurrency: 1 });

/** An item's stream version right after its registration (the stream's first event). */
const REGISTERED_VERSION = 1;

/**
 * V7's dataset stage: an item registered in a dataset that a workflow's dataset stage names
 * enters that workflow and moves on to the stage after it. Items registered before the binding
 * (by the registration's own time, so a consumer catching up on old events does not pull them
 * in) and items of unbound datasets are acked without effect.
 */
@Controller()
export class EnterFromDatasetConsumer {
  constructor(
    private readonly handler: EnterFromDatasetHandler,
    private readonly definitions: DefinitionsRepository,
  ) {}

  @OnEvent(DatasetIntakeConsumer, 'item.registered')
  async registered(event: TypedEvent<'item.registered'>, ctx: HandlerContext): Promise<HandlerOutcome> {
    const d = event.data;
    const bound = await this.definitions.boundTo(d.projectId, d.datasetId, ctx.manager);
    if (!bound || new Date(d.registeredAt) < bound.boundAt) return Outcome.ack();
    await this.handler.handle(ctx.manager, {
      projectId: d.projectId,
      workflowId: bound.workflowId,
      itemId: d.itemId,
      itemVersion: REGISTERED_VERSION,
      eventId: event.id,
      ...(event.correlationid ? { correlationId: event.correlationid } : {}),
    });
    return Outcome.ack();
  }
}
