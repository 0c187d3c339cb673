import { DomainError } from '@stagehook/platform/domain';

/** WIRE NAMES: clients branch on these codes. Their HTTP statuses are mapped in ../errors.ts. */
export const WebhooksErrorCode = {
  UNSAFE_URL: 'UNSAFE_URL',
  UNKNOWN_EVENT_TYPES: 'UNKNOWN_EVENT_TYPES',
  DELIVERY_UNAVAILABLE: 'DELIVERY_UNAVAILABLE',
  DELIVERY_NOT_READY: 'DELIVERY_NOT_READY',
  DELIVERY_FAILED: 'DELIVERY_FAILED',
  INVALID_SCHEMA: 'INVALID_SCHEMA',
  RESERVED_EVENT_TYPE: 'RESERVED_EVENT_TYPE',
  DEPRECATED_EVENT_TYPES: 'DEPRECATED_EVENT_TYPES',
  UNREGISTERED_EVENT_TYPE: 'UNREGISTERED_EVENT_TYPE',
  UNKNOWN_SCHEMA_VERSION: 'UNKNOWN_SCHEMA_VERSION',
  SCHEMA_VALIDATION_FAILED: 'SCHEMA_VALIDATION_FAILED',
  PUBLISH_SCOPE_REQUIRED: 'PUBLISH_SCOPE_REQUIRED',
  IDEMPOTENCY_KEY_REUSED: 'IDEMPOTENCY_KEY_REUSED',
} as const;

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

export interface ProblemPath {
  path: string;
  message: string;
}

/** A payload (or an example) that fails its JSON Schema: every failing path is named. */
export class SchemaValidationError extends DomainError {
  constructor(problems: ProblemPath[], what = 'data') {
    super(WebhooksErrorCode.SCHEMA_VALIDATION_FAILED, `${what} does not match its schema: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}`, { errors: problems });
  }
}

export class InvalidSchemaError extends DomainError {
  constructor(problems: ProblemPath[]) {
    super(WebhooksErrorCode.INVALID_SCHEMA, `schema is not a usable JSON Schema 2020-12: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}`, {
      field: 'schema',
      errors: problems,
    });
  }
}

export class DeprecatedEventTypesError extends DomainError {
  constructor(deprecated: string[]) {
    super(
      WebhooksErrorCode.DEPRECATED_EVENT_TYPES,
      `eventTypes: ${deprecated.join(', ')} ${deprecated.length === 1 ? 'is' : 'are'} deprecated; existing subscriptions keep receiving them, new ones cannot be made`,
      { field: 'eventTypes', deprecated },
    );
  }
}
