import { rpcSpec } from './rpc.js';

export interface TestPingRequest {
  projectId: string;
  endpointId: string;
}

export interface TestPingReply {
  /** null when no HTTP response came back (refused, timed out, unsafe address). */
  statusCode: number | null;
  latencyMs: number;
  responseHeaders: Record<string, string>;
  /** Capped (20 kB). */
  responseBody: string;
  error: string | null;
  /** The `webhook-id` of the ping, as the receiver saw it. */
  webhookId: string;
}

/**
 * Served by the delivery service (queue group `delivery`): sends a `webhook.test` event to the
 * endpoint now and answers with what came back. The registry's test button calls it.
 */
export const DeliveryRpc = {
  testPing: rpcSpec<TestPingRequest, TestPingReply>('rpc.delivery.test-ping.v2'),
} as const;

export interface StageTestRequest {
  projectId: string;
  endpointId: string;
  workflowId: string;
  workflowVersion: number;
  stageId: string;
  stageName: string;
  /** The stage's include-annotations override; the endpoint's setting when absent. */
  includeAnnotations?: boolean;
  /** The item to send at its current version; a sample item when absent. */
  itemId?: string;
}

export interface StageTestReply {
  /** null when no HTTP response came back (refused, timed out, unsafe address). */
  status: number | null;
  latencyMs: number;
  /** Capped at 4 KiB. */
  responseBody: string;
  passed: boolean;
  error: string | null;
  webhookId: string;
}

/**
 * Served by delivery (queue group `delivery`): V7's stage Test button. Sends the exact payload the
 * stage would send (built as for `workflow.stage.entered`) to its endpoint now, signed and with its
 * authorization header, through the SSRF-safe sender. Not a delivery: no message, no routing, no
 * breaker. Errors: `not_found` (endpoint or item), `items_unavailable`.
 */
export const DeliveryStageRpc = {
  stageTest: rpcSpec<StageTestRequest, StageTestReply>('rpc.delivery.stage-test.v2'),
} as const;
