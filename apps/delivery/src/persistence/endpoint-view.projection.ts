import type { CloudEvent, EventData } from '@stagehook/contracts';
import { Outcome, type HandlerContext, type HandlerOutcome } from '@stagehook/messaging';
import type { Applied, EndpointRepository } from './endpoint.repository.js';
import { sourceOrder } from './source-order.js';

type EndpointEvent =
  | CloudEvent<'webhook.endpoint.registered', EventData<'webhook.endpoint.registered'>>
  | CloudEvent<'webhook.endpoint.updated', EventData<'webhook.endpoint.updated'>>
  | CloudEvent<'webhook.endpoint.disabled', EventData<'webhook.endpoint.disabled'>>
  | CloudEvent<'webhook.endpoint.enabled', EventData<'webhook.endpoint.enabled'>>
  | CloudEvent<'webhook.endpoint.deleted', EventData<'webhook.endpoint.deleted'>>
  | CloudEvent<'webhook.endpoint.secret.rotated', EventData<'webhook.endpoint.secret.rotated'>>;

export interface EndpointViewHooks {
  /** After the view applied an enable (not a stale one), in the same transaction. */
  enabled?: (data: EventData<'webhook.endpoint.enabled'>, ctx: HandlerContext) => Promise<void>;
}

/** How long an unversioned patch waits for its endpoint's registration before it is tried again. */
const AWAIT_REGISTRATION_MS = 1_000;

/**
 * Keeps dl_endpoints from the registry's events, ordered by the endpoint stream's version (see
 * SourceOrder): a late or redelivered older event never overwrites a newer state, and an event
 * that arrives before `registered` (replicas share the durable; a nak or a retried publish
 * reorders) is kept in a placeholder row, never acked and lost. Unversioned events (published
 * before the relay stamped versions) cannot be placed that way: one for an endpoint not
 * registered here yet is retried until the registration arrives (a dead letter at the last
 * delivery, which an operator can replay).
 */
export async function applyEndpointEvent(repo: EndpointRepository, e: EndpointEvent, ctx: HandlerContext, hooks: EndpointViewHooks = {}): Promise<HandlerOutcome> {
  const order = sourceOrder(e, ctx.streamSequence);
  let applied: Applied;
  switch (e.type) {
    case 'webhook.endpoint.registered':
    case 'webhook.endpoint.updated':
      await repo.upsertState(e.data, order, ctx.manager);
      return Outcome.ack();
    case 'webhook.endpoint.disabled':
      applied = await repo.setStatus(e.data, { active: false, disabledReason: e.data.reason }, order, ctx.manager);
      break;
    case 'webhook.endpoint.enabled':
      applied = await repo.setStatus(e.data, { active: true, disabledReason: null }, order, ctx.manager);
      // Only the newest status: a replayed old enable must not end a disable that came after it.
      if (applied === 'applied') await hooks.enabled?.(e.data, ctx);
      break;
    case 'webhook.endpoint.secret.rotated':
      applied = await repo.setSigningSecrets(e.data, e.data.signingSecrets, order, ctx.manager);
      break;
    case 'webhook.endpoint.deleted':
      applied = await repo.markDeleted(e.data, order, ctx.manager);
      break;
    default: {
      const never: never = e;
      throw new Error(`unhandled endpoint event ${String((never as { type: string }).type)}`);
    }
  }
  return applied === 'missing' ? Outcome.retry({ delayMs: AWAIT_REGISTRATION_MS, reason: `endpoint ${e.data.endpointId} is not registered here yet` }) : Outcome.ack();
}
