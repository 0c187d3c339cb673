import { DeliveryErrorCode } from './domain/errors.js';

/** The one error -> HTTP mapper: the HTTP status of each code this service adds (main.ts hands it to runService). */
export const deliveryErrorStatuses: Record<string, number> = {
  [DeliveryErrorCode.DELIVERY_NOT_FOUND]: 404,
  [DeliveryErrorCode.ENDPOINT_NOT_FOUND]: 404,
  [DeliveryErrorCode.DELIVERY_IN_PROGRESS]: 409,
  [DeliveryErrorCode.ILLEGAL_TRANSITION]: 409,
};
