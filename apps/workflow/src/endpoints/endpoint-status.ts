import { defineHandlers, type EventHandlers } from '@stagehook/messaging';
import type { EndpointStatusRepository } from '../shared/repositories.js';

/** WIRE NAME: the durable consumer of the registry's endpoint events. */
export const ENDPOINTS_DURABLE = 'workflow-endpoints';
export const ENDPOINTS_FILTER = 'webhook.endpoint.>';

/**
 * Keeps whether each endpoint can take deliveries, so a webhook stage whose endpoint is disabled
 * or deleted fails fast through `failed` instead of waiting for a delivery that never comes.
 */
export function endpointStatusHandlers(repo: EndpointStatusRepository): EventHandlers {
  return defineHandlers({
    'webhook.endpoint.registered': async (e, ctx) => {
      const d = e.data;
      await repo.record(ctx.manager, { endpointId: d.endpointId, projectId: d.projectId, status: d.active ? 'active' : 'disabled', reason: d.disabledReason, at: d.at });
    },
    'webhook.endpoint.updated': async (e, ctx) => {
      const d = e.data;
      await repo.record(ctx.manager, { endpointId: d.endpointId, projectId: d.projectId, status: d.active ? 'active' : 'disabled', reason: d.disabledReason, at: d.at });
    },
    'webhook.endpoint.disabled': async (e, ctx) => {
      const d = e.data;
      await repo.record(ctx.manager, { endpointId: d.endpointId, projectId: d.projectId, status: 'disabled', reason: d.reason, at: d.at });
    },
    'webhook.endpoint.enabled': async (e, ctx) => {
      const d = e.data;
      await repo.record(ctx.manager, { endpointId: d.endpointId, projectId: d.projectId, status: 'active', reason: null, at: d.at });
    },
    'webhook.endpoint.deleted': async (e, ctx) => {
      const d = e.data;
      await repo.record(ctx.manager, { endpointId: d.endpointId, projectId: d.projectId, status: 'deleted', reason: null, at: d.at });
    },
  });
}
