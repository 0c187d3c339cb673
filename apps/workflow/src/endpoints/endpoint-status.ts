import { defineHandlers, type EventHandlers, type HandlerContext, type HandlerOutcome, Outcome, prepared, type TypedEvent } from '@stagehook/messaging';
import type { EndpointUnusable } from '../domain/item.decider.js';
import type { ItemCommandsService } from '../items/item-commands.service.js';
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
  const apply = async (change: Change, event: { id: string; correlationid?: string }, ctx: HandlerContext, heads: ReadonlyMap<string, number>): Promise<HandlerOutcome> => {
    await repo.record(ctx.manager, change);
    // The stored status, not the event's: an older event arriving late must not fail anything.
    const status = (await repo.unusable(change.projectId, [change.endpointId], ctx.manager))[change.endpointId];
    if (!status) {
      // Usable again: items parked on it enter their stage afresh.
      await commands.resumeParkedOn(ctx.manager, { projectId: change.projectId, endpointId: change.endpointId, eventId: event.id, ...(event.correlationid ? { correlationId: event.correlationid } : {}) }, heads);
      return Outcome.ack();
    }
    await commands.failWaitingOn(
      ctx.manager,
      {
        projectId: change.projectId,
        endpointId: change.endpointId,
        status,
        eventId: event.id,
        ...(event.correlationid ? { correlationId: event.correlationid } : {}),
      },
      heads,
    );
    return Outcome.ack();
  };
  /**
   * The items' versions for the visits that a disabling change fails (or an enabling change
   * resumes from parked), asked before the transaction opens (no NATS request inside it).
   */
  const handler = <T extends EndpointEventType>(toChange: (d: TypedEvent<T>['data']) => Change) =>
    prepared<T, ReadonlyMap<string, number>>({
      prepare: async (e) => {
        const change = toChange(e.data);
        return commands.headsWaitingOn(change.projectId, change.endpointId, change.status === 'active');
      },
      handle: (e, ctx) => apply(toChange(e.data), e, ctx, ctx.prepared),
    });
  return defineHandlers({
    'webhook.endpoint.registered': handler<'webhook.endpoint.registered'>((d) => ({ endpointId: d.endpointId, projectId: d.projectId, status: d.active ? 'active' : 'disabled', reason: d.disabledReason, at: d.at })),
    'webhook.endpoint.updated': handler<'webhook.endpoint.updated'>((d) => ({ endpointId: d.endpointId, projectId: d.projectId, status: d.active ? 'active' : 'disabled', reason: d.disabledReason, at: d.at })),
    'webhook.endpoint.disabled': handler<'webhook.endpoint.disabled'>((d) => ({ endpointId: d.endpointId, projectId: d.projectId, status: 'disabled', reason: d.reason, at: d.at })),
    'webhook.endpoint.enabled': handler<'webhook.endpoint.enabled'>((d) => ({ endpointId: d.endpointId, projectId: d.projectId, status: 'active', reason: null, at: d.at })),
    'webhook.endpoint.deleted': handler<'webhook.endpoint.deleted'>((d) => ({ endpointId: d.endpointId, projectId: d.projectId, status: 'deleted', reason: null, at: d.at })),
  });
}

type EndpointEventType = 'webhook.endpoint.registered' | 'webhook.endpoint.updated' | 'webhook.endpoint.disabled' | 'webhook.endpoint.enabled' | 'webhook.endpoint.deleted';
