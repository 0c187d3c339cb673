import { DomainError } from '@stagehook/platform/domain';

/** Codes this service adds to the platform's; mapped to HTTP in errors.ts. WIRE NAMES. */
export const DeliveryErrorCode = {
  DELIVERY_NOT_FOUND: 'DELIVERY_NOT_FOUND',
  ENDPOINT_NOT_FOUND: 'ENDPOINT_NOT_FOUND',
  DELIVERY_IN_PROGRESS: 'DELIVERY_IN_PROGRESS',
  /** A lifecycle move the state does not allow (delivery-lifecycle.ts): a bug in the caller. */
  ILLEGAL_TRANSITION: 'DELIVERY_ILLEGAL_TRANSITION',
} as const;

export class DeliveryNotFoundError extends DomainError {
  constructor(id: string) {
    super(DeliveryErrorCode.DELIVERY_NOT_FOUND, `delivery ${id} not found`);
  }
}

export class EndpointNotFoundError extends DomainError {
  constructor(id: string) {
    super(DeliveryErrorCode.ENDPOINT_NOT_FOUND, `endpoint ${id} not found`);
  }
}

export class DeliveryInProgressError extends DomainError {
  constructor(id: string) {
    super(DeliveryErrorCode.DELIVERY_IN_PROGRESS, `delivery ${id} is still pending; it cannot be redelivered until it ends`);
  }
}
