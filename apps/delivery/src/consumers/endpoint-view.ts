import type { CloudEvent, EventData } from '@stagehook/contracts';
import type { HandlerContext } from '@stagehook/messaging';
import type { EndpointRepository } from '../persistence/endpoint.repository.js';

type EndpointEvent =
  | CloudEvent<'webhook.endpoint.registered', EventData<'webhook.endpoint.registered'>>
  | CloudEvent<'webhook.endpoint.updated', EventData<'webhook.endpoint.updated'>>
  | CloudEvent<'webhook.endpoint.disabled', EventData<'webhook.endpoint.disabled'>>
  | CloudEvent<'webhook.endpoint.enabled', EventData<'webhook.endpoint.enabled'>>
  | CloudEvent<'webhook.endpoint.deleted', EventData<'webhook.endpoint.deleted'>>
  | CloudEvent<'webhook.endpoint.secret.rotated', EventData<'webhook.endpoint.secret.rotated'>>;

/**
 * Keeps dl_endpoints from the registry's events. The WEBHOOKS stream sequence orders them: a
 * late or redelivered older event never overwrites a newer state (replicas share the durable).
 */
export async function applyEndpointEvent(repo: EndpointRepository, e: EndpointEvent, ctx: HandlerContext): Promise<void> {
  const seq = ctx.streamSequence;
  switch (e.type) {
    case 'webhook.endpoint.registered':
    case 'webhook.endpoint.updated':
      return repo.upsertState(e.data, seq, ctx.manager);
    case 'webhook.endpoint.disabled':
      return repo.patchState(e.data.endpointId, { active: false, disabledReason: e.data.reason }, seq, ctx.manager);
    case 'webhook.endpoint.enabled':
      return repo.patchState(e.data.endpointId, { active: true, disabledReason: null }, seq, ctx.manager);
    case 'webhook.endpoint.secret.rotated':
      return repo.patchState(e.data.endpointId, { signingSecrets: e.data.signingSecrets }, seq, ctx.manager);
    case 'webhook.endpoint.deleted':
      return repo.markDeleted(e.data.endpointId, seq, ctx.manager);
    default: {
      const never: never = e;
      throw new Error(`unhandled endpoint event ${String((never as { type: string }).type)}`);
    }
  }
}
