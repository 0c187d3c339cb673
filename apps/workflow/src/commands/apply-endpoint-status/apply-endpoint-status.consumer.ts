import { Controller } from '@nestjs/common';
import { OnEvent, Outcome, PrepareEvent, defineConsumer, type HandlerContext, type HandlerOutcome, type TypedEvent } from '@stagehook/messaging';
import type { EndpointUnusable } from '../../domain/item.decider.js';
import { EndpointStatusRepository } from '../../persistence/endpoint-status.repository.js';
import { ApplyEndpointStatusHandler } from './apply-endpoint-status.handler.js';

/** WIRE NAME: the durable consumer of the registry's endpoint events. */
export const EndpointStatusConsumer = defineConsumer({ stream: 'WEBHOOKS', durable: 'workflow-endpoints', filterSubject: 'webhook.endpoint.>', concurrency: 2 });

const ENDPOINT_EVENTS = ['webhook.endpoint.registered', 'webhook.endpoint.updated', 'webhook.endpoint.disabled', 'webhook.endpoint.enabled', 'webhook.endpoint.deleted'] as const;
type EndpointEvent = { [T in (typeof ENDPOINT_EVENTS)[number]]: TypedEvent<T> }[(typeof ENDPOINT_EVENTS)[number]];

interface Change {
  endpointId: string;
  projectId: string;
  status: 'active' | EndpointUnusable;
  reason: string | null;
  at: string;
}

function toChange(e: EndpointEvent): Change {
  switch (e.type) {
    case 'webhook.endpoint.registered':
    case 'webhook.endpoint.updated':
      return { endpointId: e.data.endpointId, projectId: e.data.projectId, status: e.data.active ? 'active' : 'disabled', reason: e.data.disabledReason, at: e.data.at };
    case 'webhook.endpoint.disabled':
      return { endpointId: e.data.endpointId, projectId: e.data.projectId, status: 'disabled', reason: e.data.reason, at: e.data.at };
    case 'webhook.endpoint.enabled':
      return { endpointId: e.data.endpointId, projectId: e.data.projectId, status: 'active', reason: null, at: e.data.at };
    case 'webhook.endpoint.deleted':
      return { endpointId: e.data.endpointId, projectId: e.data.projectId, status: 'deleted', reason: null, at: e.data.at };
  }
}

/**
 * Keeps whether each endpoint can take deliveries, so a webhook stage whose endpoint is disabled
 * or deleted fails fast through `failed` instead of waiting for a delivery that never comes: on
 * entry (the item decider reads the status) and, for visits already waiting, when the change
 * arrives.
 */
@Controller()
export class ApplyEndpointStatusConsumer {
  constructor(
    private readonly repo: EndpointStatusRepository,
    private readonly handler: ApplyEndpointStatusHandler,
  ) {}

  /**
   * The items' versions for the visits that a disabling change fails (or an enabling change
   * resumes from parked), asked before the transaction opens (no NATS request inside it).
   */
  @PrepareEvent(EndpointStatusConsumer, ENDPOINT_EVENTS)
  async heads(e: EndpointEvent): Promise<ReadonlyMap<string, number>> {
    const change = toChange(e);
    return this.handler.headsWaitingOn(change.projectId, change.endpointId, change.status === 'active');
  }

  @OnEvent(EndpointStatusConsumer, ENDPOINT_EVENTS)
  async changed(event: EndpointEvent, ctx: HandlerContext & { prepared: ReadonlyMap<string, number> }): Promise<HandlerOutcome> {
    const change = toChange(event);
    const heads = ctx.prepared;
    await this.repo.record(ctx.manager, change);
    // The stored status, not the event's: an older event arriving late must not fail anything.
    const status = (await this.repo.unusable(change.projectId, [change.endpointId], ctx.manager))[change.endpointId];
    if (!status) {
      // Usable again: items parked on it enter their stage afresh.
      await this.handler.resumeParkedOn(
        ctx.manager,
        { projectId: change.projectId, endpointId: change.endpointId, eventId: event.id, ...(event.correlationid ? { correlationId: event.correlationid } : {}) },
        heads,
      );
      return Outcome.ack();
    }
    await this.handler.failWaitingOn(
      ctx.manager,
      { projectId: change.projectId, endpointId: change.endpointId, status, eventId: event.id, ...(event.correlationid ? { correlationId: event.correlationid } : {}) },
      heads,
    );
    return Outcome.ack();
  }
}
