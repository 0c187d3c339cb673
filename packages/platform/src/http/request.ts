import { randomUUID } from 'node:crypto';
import type { Request } from 'express';
import type { ProjectTokenClaims } from '../auth/token.js';

/** What the platform attaches to an Express request. */
export interface PlatformRequest extends Request {
  /** Honoured from `x-request-id` when it is sane, else generated; echoed on the response. */
  requestId?: string;
  /** Set by the auth guard on protected routes only. */
  auth?: ProjectTokenClaims;
}

export const REQUEST_ID_HEADER = 'x-request-id';

// The id is copied into every log line of the request: anything else (newlines, quotes, kilobytes
// of text) would let a client forge or bloat log records.
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && SANE_REQUEST_ID.test(value) ? value : randomUUID();
}

/**
 * The route template that handled the request (`/items/:id`), never the raw URL: metric labels
 * and log fields must have bounded cardinality and must not carry ids or query strings.
 */
export function routeTemplate(req: Request): string {
  const route: unknown = (req as { route?: unknown }).route;
  const path: unknown = typeof route === 'object' && route !== null ? (route as { path?: unknown }).path : undefined;
  if (typeof path === 'string') return `${req.baseUrl}${path}` || '/';
  return req.baseUrl || '<unmatched>';
}
