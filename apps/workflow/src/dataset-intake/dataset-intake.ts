import { defineHandlers, type EventHandlers, Outcome } from '@stagehook/messaging';
import type { ItemCommandsService } from '../items/item-commands.service.js';
import type { DefinitionsRepository } from '../shared/repositories.js';

/**
 * WIRE NAME: the durable consumer (and msg_handled.consumer) of item registrations, for
 * dataset-bound workflows. Handled one at a time (concurrency 1) so items enter in the order
 * they were registered.
 */
export const DATASET_INTAKE_DURABLE = 'workflow-dataset-intake';
export const DATASET_INTAKE_FILTER = 'item.registered';

/** An item's stream version right after its registration (the stream's first event). */
const REGISTERED_VERSION = 1;

/**
 * V7's dataset stage: an item registered in a dataset that a workflow's dataset stage names
 * enters that workflow and moves on to the stage after it. Items registered before the binding
 * (by the registration's own time, so a consumer catching up on old events does not pull them
 * in) and items of unbound datasets are acked without effect.
 */
export function datasetIntakeHandlers(commands: ItemCommandsService, definitions: DefinitionsRepository): EventHandlers {
  return defineHandlers({
    'item.registered': async (event, ctx) => {
      const d = event.data;
      const bound = await definitions.boundTo(d.projectId, d.datasetId, ctx.manager);
      if (!bound || new Date(d.registeredAt) < bound.boundAt) return Outcome.ack();
      await commands.enterFromDataset(ctx.manager, {
        projectId: d.projectId,
        workflowId: bound.workflowId,
        itemId: d.itemId,
        itemVersion: REGISTERED_VERSION,
        eventId: event.id,
        ...(event.correlationid ? { correlationId: event.correlationid } : {}),
      });
      return Outcome.ack();
    },
  });
}
