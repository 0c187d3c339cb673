import { rpcSpec } from './rpc.js';

export interface EndpointLookupRequest {
  projectId: string;
  endpointId: string;
}

export interface EndpointLookupReply {
  endpoint: { id: string; active: boolean; disabledReason: string | null };
}

/**
 * Served by the webhook registry (queue group `webhooks`). The workflow service asks `endpoint`
 * when a workflow is saved with an endpoint it has not seen an event of yet (just registered), so
 * an unknown endpoint is a 422 at save time instead of a failure at the first item. `not_found`
 * also for another project's endpoint.
 */
export const WebhooksRpc = {
  endpoint: rpcSpec<EndpointLookupRequest, EndpointLookupReply>('rpc.webhooks.endpoint'),
} as const;
