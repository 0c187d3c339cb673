import type { EndpointStateData } from '@stagehook/contracts';
import type { ClaimedDelivery, ScheduleKind } from '../../src/persistence/delivery-queue.repository.js';

/** An endpoint as the dispatcher's unit tests send to: no secrets to open, no headers. */
export const testEndpoint = {
  endpointId: 'ep',
  headers: [],
  signingSecrets: { current: {}, previous: null },
  authorization: null,
  url: 'http://receiver.test/',
  timeoutMs: 1_000,
  retryPolicy: null,
} as unknown as EndpointStateData;

/** A delivery as a claim (or intake's hand-off) gives it to the dispatcher: its first attempt. */
export function claimedDelivery(id: string, endpointId = 'ep', schedule: ScheduleKind = 'standard'): ClaimedDelivery {
  return {
    id,
    messageId: `m-${id}`,
    endpointId,
    projectId: 'p',
    schedule,
    attempts: 0,
    maxAttempts: 3,
    retryScheduleMs: [0, 1000],
    eventType: 'item.status.changed',
    triggerEventId: `t-${id}`,
    itemId: null,
    workflowId: null,
    stageId: null,
    visitId: null,
    body: '{}',
    endpoint: testEndpoint,
  };
}
