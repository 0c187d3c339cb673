/**
 * Error codes the platform knows. `error` in every HTTP error body is one of these or a code a
 * service registered with `PlatformModule.forRoot({ errorStatuses })`.
 * WIRE NAMES: clients branch on these strings; renaming one is a breaking API change.
 * `invalid_json` and `payload_too_large` are lower case because that is how they were first
 * published to clients; keep them.
 */
export const ErrorCode = {
  BAD_REQUEST: 'BAD_REQUEST',
  VALIDATION_FAILED: 'VALIDATION_FAILED',
  INVALID_JSON: 'invalid_json',
  PAYLOAD_TOO_LARGE: 'payload_too_large',
  UNAUTHORIZED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  /** Thrown by the event store when an append's expected version is stale. */
  CONCURRENCY_CONFLICT: 'CONCURRENCY_CONFLICT',
  GONE: 'GONE',
  PRECONDITION_FAILED: 'PRECONDITION_FAILED',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  UNPROCESSABLE: 'UNPROCESSABLE',
  TOO_MANY_REQUESTS: 'TOO_MANY_REQUESTS',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  INTERNAL_ERROR: 'INTERNAL_ERROR',
} as const;

export type PlatformErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** The default code → HTTP status map; services extend it, they do not replace it. */
export const DEFAULT_ERROR_STATUSES: Readonly<Record<string, number>> = Object.freeze({
  [ErrorCode.BAD_REQUEST]: 400,
  [ErrorCode.VALIDATION_FAILED]: 400,
  [ErrorCode.INVALID_JSON]: 400,
  [ErrorCode.PAYLOAD_TOO_LARGE]: 413,
  [ErrorCode.UNAUTHORIZED]: 401,
  [ErrorCode.FORBIDDEN]: 403,
  [ErrorCode.NOT_FOUND]: 404,
  [ErrorCode.CONFLICT]: 409,
  [ErrorCode.CONCURRENCY_CONFLICT]: 409,
  [ErrorCode.GONE]: 410,
  [ErrorCode.PRECONDITION_FAILED]: 412,
  [ErrorCode.UNSUPPORTED_MEDIA_TYPE]: 415,
  [ErrorCode.UNPROCESSABLE]: 422,
  [ErrorCode.TOO_MANY_REQUESTS]: 429,
  [ErrorCode.SERVICE_UNAVAILABLE]: 503,
  [ErrorCode.INTERNAL_ERROR]: 500,
});

/** One invalid input field: its path (`items[3].width`) and what is wrong with it. */
export interface FieldError {
  path: string;
  messages: string[];
}

// A brand rather than only `instanceof`: a second copy of this package (or a bundler) must not
// turn a client error into a 500.
const DOMAIN_ERROR = Symbol.for('stagehook.platform.DomainError');

/**
 * An expected failure a client can act on. Its `message` and `details` go to the client as they
 * are, so they must never hold secrets or internals; anything else that is thrown becomes a
 * generic 500.
 */
export class DomainError extends Error {
  readonly [DOMAIN_ERROR] = true;

  constructor(
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export function isDomainError(err: unknown): err is DomainError {
  return typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[DOMAIN_ERROR] === true;
}

export class NotFoundError extends DomainError {
  constructor(message = 'Not found', details?: Record<string, unknown>) {
    super(ErrorCode.NOT_FOUND, message, details);
  }
}

export class ConflictError extends DomainError {
  constructor(message = 'Conflict', details?: Record<string, unknown>) {
    super(ErrorCode.CONFLICT, message, details);
  }
}

export class UnauthorizedError extends DomainError {
  constructor(message = 'Unauthorized', details?: Record<string, unknown>) {
    super(ErrorCode.UNAUTHORIZED, message, details);
  }
}

export class ForbiddenError extends DomainError {
  constructor(message = 'Forbidden', details?: Record<string, unknown>) {
    super(ErrorCode.FORBIDDEN, message, details);
  }
}

export class BadRequestError extends DomainError {
  constructor(message = 'Bad request', details?: Record<string, unknown>) {
    super(ErrorCode.BAD_REQUEST, message, details);
  }
}

/** Input that failed validation; `fields` name every bad field by path. */
export class ValidationFailedError extends DomainError {
  constructor(
    readonly fields: FieldError[],
    message = `Validation failed: ${fields.map((f) => f.path).join(', ')}`,
  ) {
    super(ErrorCode.VALIDATION_FAILED, message);
  }
}
