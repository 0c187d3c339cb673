import { DomainError } from '@stagehook/platform';

/** Service error codes → HTTP statuses (merged over the platform's). WIRE NAMES for clients. */
export const WebhooksErrorCode = {
  UNSAFE_URL: 'UNSAFE_URL',
  UNKNOWN_EVENT_TYPES: 'UNKNOWN_EVENT_TYPES',
  DELIVERY_UNAVAILABLE: 'DELIVERY_UNAVAILABLE',
  DELIVERY_NOT_READY: 'DELIVERY_NOT_READY',
  DELIVERY_FAILED: 'DELIVERY_FAILED',
} as const;

export const webhooksErrorStatuses: Readonly<Record<string, number>> = {
  [WebhooksErrorCode.UNSAFE_URL]: 422,
  [WebhooksErrorCode.UNKNOWN_EVENT_TYPES]: 400,
  [WebhooksErrorCode.DELIVERY_UNAVAILABLE]: 503,
  [WebhooksErrorCode.DELIVERY_NOT_READY]: 409,
  [WebhooksErrorCode.DELIVERY_FAILED]: 502,
};

export class UnsafeUrlError extends DomainError {
  constructor(reason: string) {
    super(WebhooksErrorCode.UNSAFE_URL, `url ${reason}`, { field: 'url', reason });
  }
}

export class UnknownEventTypesError extends DomainError {
  constructor(unknown: string[], known: readonly string[]) {
    super(
      WebhooksErrorCode.UNKNOWN_EVENT_TYPES,
      `eventTypes: unknown event types ${unknown.join(', ')}; use '*', one of ${known.join(', ')}, or a prefix wildcard such as item.*`,
      { field: 'eventTypes', unknown, known: ['*', ...known] },
    );
  }
}
