import { ItemsErrorCode } from './domain/errors.js';

/** Service error codes → HTTP statuses (merged over the platform's). The codes are WIRE NAMES for clients. */
export const itemsErrorStatuses: Readonly<Record<string, number>> = {
  [ItemsErrorCode.ITEM_NOT_FOUND]: 404,
  [ItemsErrorCode.ITEM_EXISTS]: 409,
  [ItemsErrorCode.ANNOTATION_NOT_FOUND]: 404,
  [ItemsErrorCode.ANNOTATION_EXISTS]: 409,
  [ItemsErrorCode.TAG_NOT_FOUND]: 404,
  [ItemsErrorCode.TAG_NOT_UPDATABLE]: 409,
  [ItemsErrorCode.ILLEGAL_STATUS_TRANSITION]: 409,
  [ItemsErrorCode.VERSION_NOT_FOUND]: 404,
  [ItemsErrorCode.DATASET_NOT_FOUND]: 404,
  [ItemsErrorCode.DATASET_EXISTS]: 409,
  // The event store refuses an event the bus could not carry (NATS max_payload): one annotation
  // that large is an oversized request, like a body over HTTP_BODY_LIMIT.
  EVENT_TOO_LARGE: 413,
};
