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
  endpoint: rpcSpec<EndpointLookupRequest, EndpointLookupReply>('rpc.webhooks.endpoint.v2'),
} as const;

export interface ManageStageEndpointRequest {
  projectId: string;
  workflowId: string;
  stageId: string;
  /** Named after the stage, so the registry's list says what it is for. */
  stageName: string;
  url: string;
  /**
   * The `Authorization` header value (V7's `authorization_header`): sealed by the registry at
   * rest. undefined keeps the current one, null removes it. It crosses the bus only in this
   * request and is never part of a workflow event.
   */
  authorization?: string | null;
  includeAnnotations: boolean;
}

export interface ManageStageEndpointReply {
  endpointId: string;
  authorizationSet: boolean;
}

export interface ReleaseStageEndpointRequest {
  projectId: string;
  endpointId: string;
}

/**
 * Served by the registry (queue group `webhooks`) for stages that hold their own url and
 * authorization. `manageStageEndpoint` creates or updates the endpoint owned by (project,
 * workflow, stage) — idempotent on that key, so a retried save changes nothing — and answers its
 * id; `unsafe_url` when the url fails the registry's SSRF rules. `releaseStageEndpoint` is sent
 * when the stage is gone from the workflow: the endpoint is disabled and no longer managed (a
 * user may then delete it), and managing it again re-enables it.
 */
export const ManagedEndpointRpc = {
  manageStageEndpoint: rpcSpec<ManageStageEndpointRequest, ManageStageEndpointReply>('rpc.webhooks.manage-stage-endpoint.v2'),
  releaseStageEndpoint: rpcSpec<ReleaseStageEndpointRequest, { released: boolean }>('rpc.webhooks.release-stage-endpoint.v2'),
} as const;
