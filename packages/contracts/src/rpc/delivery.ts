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
  testPing: rpcSpec<TestPingRequest, TestPingReply>('rpc.delivery.test-ping'),
} as const;
