import { WorkflowErrorCode } from './domain/errors.js';

/** The one error → HTTP mapper: each of the service's error codes (merged over the platform's). */
export const workflowErrorStatuses: Readonly<Record<string, number>> = {
  [WorkflowErrorCode.INVALID_WORKFLOW]: 422,
  [WorkflowErrorCode.STAGE_NOT_ALLOWED]: 409,
  [WorkflowErrorCode.ALREADY_IN_WORKFLOW]: 409,
  [WorkflowErrorCode.ITEM_NOT_IN_WORKFLOW]: 404,
  [WorkflowErrorCode.UNKNOWN_ITEMS]: 422,
  [WorkflowErrorCode.ITEMS_UNAVAILABLE]: 503,
  [WorkflowErrorCode.WEBHOOKS_UNAVAILABLE]: 503,
  [WorkflowErrorCode.STALE_VISIT]: 409,
  [WorkflowErrorCode.STAGE_NOT_FOUND]: 404,
  [WorkflowErrorCode.NOT_A_WEBHOOK_STAGE]: 422,
  [WorkflowErrorCode.DELIVERY_UNAVAILABLE]: 503,
  [WorkflowErrorCode.ITEM_NOT_FOUND]: 404,
};
