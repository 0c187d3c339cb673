import { STATUS_CODES } from 'node:http';
import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Inject } from '@nestjs/common';
import type { Response } from 'express';
import type { Logger } from 'pino';
import { LOGGER } from '../logging/logger.js';
import { routeTemplate, type PlatformRequest } from '../http/request.js';
import { ErrorCode, type FieldError, isDomainError } from './domain-error.js';

/** Injection token of the merged code → status map. */
export const ERROR_STATUSES = 'STAGEHOOK_ERROR_STATUSES';

/** Every error answer has this shape, whatever threw. */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  fields?: FieldError[];
  details?: Record<string, unknown>;
}

const GENERIC_500 = 'Internal server error';

// body-parser's `type` values (http-errors). Mapped explicitly so a client mistake never becomes a
// 500 and its parser message (which can quote the body) never reaches the client.
const BODY_PARSER_ERRORS: Record<string, { status: number; code: string; message: string }> = {
  'entity.parse.failed': { status: 400, code: ErrorCode.INVALID_JSON, message: 'Request body is not valid JSON' },
  'entity.too.large': { status: 413, code: ErrorCode.PAYLOAD_TOO_LARGE, message: 'Request body is too large' },
  'request.size.invalid': { status: 400, code: ErrorCode.BAD_REQUEST, message: 'Request body length does not match Content-Length' },
  'request.aborted': { status: 400, code: ErrorCode.BAD_REQUEST, message: 'Request was aborted' },
  'encoding.unsupported': { status: 415, code: ErrorCode.UNSUPPORTED_MEDIA_TYPE, message: 'Unsupported content encoding' },
  'charset.unsupported': { status: 415, code: ErrorCode.UNSUPPORTED_MEDIA_TYPE, message: 'Unsupported charset' },
  'parameters.too.many': { status: 413, code: ErrorCode.PAYLOAD_TOO_LARGE, message: 'Too many parameters' },
};

function codeForStatus(status: number): string {
  switch (status) {
    case 400:
      return ErrorCode.BAD_REQUEST;
    case 401:
      return ErrorCode.UNAUTHORIZED;
    case 403:
      return ErrorCode.FORBIDDEN;
    case 404:
      return ErrorCode.NOT_FOUND;
    case 409:
      return ErrorCode.CONFLICT;
    case 410:
      return ErrorCode.GONE;
    case 412:
      return ErrorCode.PRECONDITION_FAILED;
    case 413:
      return ErrorCode.PAYLOAD_TOO_LARGE;
    case 415:
      return ErrorCode.UNSUPPORTED_MEDIA_TYPE;
    case 422:
      return ErrorCode.UNPROCESSABLE;
    case 429:
      return ErrorCode.TOO_MANY_REQUESTS;
    case 503:
      return ErrorCode.SERVICE_UNAVAILABLE;
    default:
      return status >= 500 ? ErrorCode.INTERNAL_ERROR : (STATUS_CODES[status] ?? 'ERROR').toUpperCase().replace(/[^A-Z0-9]+/g, '_');
  }
}

function bodyParserError(err: unknown): (typeof BODY_PARSER_ERRORS)[string] | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const type = (err as { type?: unknown }).type;
  return typeof type === 'string' ? BODY_PARSER_ERRORS[type] : undefined;
}

/** An error from another package that only carries a `code` (e.g. the event store's conflict). */
function codedError(err: unknown): string | undefined {
  if (!(err instanceof Error)) return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

function messageOf(response: string | object, fallback: string): string {
  if (typeof response === 'string') return response;
  const m = (response as { message?: unknown }).message;
  if (typeof m === 'string') return m;
  if (Array.isArray(m) && m.every((x) => typeof x === 'string')) return m.join('; ');
  return fallback;
}

/**
 * Maps a thrown value to the error body and status. Pure, so the mapping is testable without HTTP.
 * `unexpected` is true when the value is a bug (the caller logs it with its stack).
 */
export function toErrorResponse(exception: unknown, statuses: Readonly<Record<string, number>>): { body: ErrorBody; unexpected: boolean } {
  if (isDomainError(exception)) {
    const status = statuses[exception.code];
    if (status === undefined) {
      // A DomainError whose code nobody mapped is a programming mistake, not a client's.
      return { body: { statusCode: 500, error: ErrorCode.INTERNAL_ERROR, message: GENERIC_500 }, unexpected: true };
    }
    const fields = (exception as { fields?: FieldError[] }).fields;
    return {
      body: {
        statusCode: status,
        error: exception.code,
        // A DomainError's message and details are client-safe by contract, 5xx ones included
        // (a deliberate 503 says what to wait for).
        message: exception.message,
        ...(fields ? { fields } : {}),
        ...(exception.details ? { details: exception.details } : {}),
      },
      unexpected: status === 500,
    };
  }

  if (exception instanceof HttpException) {
    const parser = bodyParserError(exception.cause);
    if (parser) return { body: { statusCode: parser.status, error: parser.code, message: parser.message }, unexpected: false };
    const status = exception.getStatus();
    if (status >= 500) {
      // Nest's and libraries' 5xx texts can name hosts and internals: only the status text goes out.
      return {
        body: { statusCode: status, error: codeForStatus(status), message: STATUS_CODES[status] ?? GENERIC_500 },
        unexpected: status !== 503,
      };
    }
    return {
      body: { statusCode: status, error: codeForStatus(status), message: messageOf(exception.getResponse(), STATUS_CODES[status] ?? 'Error') },
      unexpected: false,
    };
  }

  // Errors that reach the filter without Nest's adapter mapping them (a parser error raised
  // somewhere else in the middleware chain).
  const parser = bodyParserError(exception);
  if (parser) return { body: { statusCode: parser.status, error: parser.code, message: parser.message }, unexpected: false };

  // Other packages (the event store) cannot import DomainError without a cycle, so a plain Error
  // whose `code` is a mapped one is honoured — with a fixed message, because its own text was not
  // written for clients.
  const code = codedError(exception);
  if (code !== undefined && statuses[code] !== undefined && statuses[code] < 500) {
    const status = statuses[code];
    const message = code === ErrorCode.CONCURRENCY_CONFLICT ? 'The resource was changed concurrently; reload it and retry' : (STATUS_CODES[status] ?? 'Error');
    return { body: { statusCode: status, error: code, message }, unexpected: false };
  }

  return { body: { statusCode: 500, error: ErrorCode.INTERNAL_ERROR, message: GENERIC_500 }, unexpected: true };
}

/**
 * The one place an HTTP error answer is made. A 500 here is a bug signal: it is logged with its
 * stack, and the client only sees a generic message.
 */
@Catch()
export class PlatformExceptionFilter implements ExceptionFilter {
  constructor(
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(ERROR_STATUSES) private readonly statuses: Readonly<Record<string, number>>,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    // Services talk NATS through their own consumers, not Nest microservices; anything else is
    // not ours to answer.
    if (host.getType() !== 'http') throw exception;
    const http = host.switchToHttp();
    const req = http.getRequest<PlatformRequest>();
    const res = http.getResponse<Response>();
    const { body, unexpected } = toErrorResponse(exception, this.statuses);

    if (unexpected) {
      this.logger.error({ err: exception, requestId: req.requestId, method: req.method, route: routeTemplate(req) }, 'unhandled error while serving a request');
    }
    if (res.headersSent) {
      // Too late for a status: cut the response so the client does not take it as complete.
      res.destroy();
      return;
    }
    // RFC 6750: a 401 names the scheme. The auth guard sets a more precise challenge itself.
    if (body.statusCode === 401 && !res.getHeader('WWW-Authenticate')) res.setHeader('WWW-Authenticate', 'Bearer realm="stagehook"');
    res.status(body.statusCode).json(body);
  }
}
