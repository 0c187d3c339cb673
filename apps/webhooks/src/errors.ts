import { WebhooksErrorCode } from './domain/errors.js';

/** Service error codes → HTTP statuses (merged over the platform's). The codes are WIRE NAMES for clients. */
export const webhooksErrorStatuses: Readonly<Record<string, number>> = {
  [WebhooksErrorCode.UNSAFE_URL]: 422,
  [WebhooksErrorCode.UNKNOWN_EVENT_TYPES]: 400,
  [WebhooksErrorCode.DELIVERY_UNAVAILABLE]: 503,
  [WebhooksErrorCode.DELIVERY_NOT_READY]: 409,
  [WebhooksErrorCode.DELIVERY_FAILED]: 502,
  [WebhooksErrorCode.INVALID_SCHEMA]: 422,
  [WebhooksErrorCode.RESERVED_EVENT_TYPE]: 422,
  [WebhooksErrorCode.DEPRECATED_EVENT_TYPES]: 422,
  [WebhooksErrorCode.UNREGISTERED_EVENT_TYPE]: 422,
  [WebhooksErrorCode.UNKNOWN_SCHEMA_VERSION]: 422,
  [WebhooksErrorCode.SCHEMA_VALIDATION_FAILED]: 422,
  [WebhooksErrorCode.PUBLISH_SCOPE_REQUIRED]: 403,
  [WebhooksErrorCode.IDEMPOTENCY_KEY_REUSED]: 409,
};
