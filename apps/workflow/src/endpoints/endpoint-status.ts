import { defineHandlers, type EventHandlers, type HandlerContext, type HandlerOutcome, Outcome } from '@stagehook/messaging';
import type { EndpointUnusable } from '../domain/item.decider.js';
import type { ItemCommandsService } from '../items/item-commands.service.js';
import { ItemsUnavailableError } from '../shared/item-heads.js';
import type { EndpointStatusRepository } from '../shared/repositories.js';

/** WIRE NAME: the durable consumer of the registry's endpoint events. */
export const ENDPOINTS_DURABLE = 'workflow-endpoints';
export const ENDPOINTS_FILTER = 'webhook.endpoint.>';

interface Change {
  endpointId: string;
  projectId: string;
  status: 'active' | EndpointUnusable;
  reason: string | null;
  at: string;
}

/**
 * Keeps whether each endpoint can take deliveries, so a webhook stage whose endpoint is disabled
 * or deleted fails fast through `failed` instead of waiting for a delivery that never comes: on
 * entry (the item decider reads the status) and, for visits already waiting, when the change
 * arrives.
 */
export function endpointStatusHandlers(repo: EndpointStatusRepository, commands: ItemCommandsService): EventHandlers {
  const apply = async (change: Change, event: { id: string; correlationid?: string }, ctx: HandlerContext): Promise<HandlerOutcome> => {
    await repo.record(ctx.manager, change);
    // The stored status, not the event's: an older event arriving late must not fail anything.
    const status = (await repo.unusable(change.projectId, [change.endpointId], ctx.manager))[change.endpointId];
    if (!status) return Outcome.ack();
    try {
      await commands.failWaitingOn(ctx.manager, {
        projectId: change.projectId,
        endpointId: change.endpointId,
        status,
        eventId: event.id,
        ...(event.correlationid ? { correlationId: event.correlationid } : {}),
      });
    } catch (err) {
      if (err instanceof ItemsUnavailableError) return Outcome.retry({ delayMs: 2_000, reason: err.message });
      throw err;
    }
    return Outcome.ack();
  };
  return defineHandlers({
    'webhook.endpoint.registered': (e, ctx) => {
      const d = e.data;
      return apply({ endpointId: d.endpointId, projectId: d.projectId, status: d.active ? 'active' : 'disabled', reason: d.disabledReason, at: d.at }, e, ctx);
    },
    'webhook.endpoint.updated': (e, ctx) => {
      const d = e.data;
      return apply({ endpointId: d.endpointId, projectId: d.projectId, status: d.active ? 'active' : 'disabled', reason: d.disabledReason, at: d.at }, e, ctx);
    },
    'webhook.endpoint.disabled': (e, ctx) => {
      const d = e.data;
      return apply({ endpointId: d.endpointId, projectId: d.projectId, status: 'disabled', reason: d.reason, at: d.at }, e, ctx);
    },
    'webhook.endpoint.enabled': (e, ctx) => {
      const d = e.data;
      return apply({ endpointId: d.endpointId, projectId: d.projectId, status: 'active', reason: null, at: d.at }, e, ctx);
    },
    'webhook.endpoint.deleted': (e, ctx) => {
      const d = e.data;
      return apply({ endpointId: d.endpointId, projectId: d.projectId, status: 'deleted', reason: null, at: d.at }, e, ctx);
    },
  });
}
