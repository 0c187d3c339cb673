import type { Msg } from '@nats-io/nats-core';
import type { RpcError } from '@stagehook/contracts';

/**
 * Request/reply between services speaks `@nestjs/microservices`' NATS packets, so a Nest
 * `ClientProxy` and a `@MessagePattern` handler understand every Stagehook responder and caller:
 * a request is `{ pattern, data, id }`, a reply `{ id, response, isDisposed }` (or `err` where
 * Nest itself failed: no handler for the pattern). Replies of Stagehook handlers are always
 * `response`s, `{ ok: true, … }` or an RpcError — never Nest's `err`.
 */
export interface RequestPacket {
  pattern: string;
  data: unknown;
  id: string;
}

/** The request in a message, or the RpcError its sender gets instead of a handler's answer. */
export function readRequest(msg: Msg): RequestPacket | RpcError {
  let body: unknown;
  try {
    body = msg.json();
  } catch {
    return { ok: false, code: 'invalid_request', message: 'request body is not JSON' };
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return notAPacket;
  const { pattern, data, id } = body as Record<string, unknown>;
  if (typeof pattern !== 'string' || typeof id !== 'string' || id.length === 0 || id.length > 128 || data === undefined) return notAPacket;
  return { pattern, data, id };
}

const notAPacket: RpcError = {
  ok: false,
  code: 'invalid_request',
  message: 'request is not a request packet ({ pattern, data, id }, as @nestjs/microservices ClientProxy sends)',
};

export function isRpcError(v: RequestPacket | RpcError): v is RpcError {
  return 'ok' in v;
}

/** What the responder tells about a reply it cannot send. */
export type OversizeReport = (info: { bytes: number; maxPayload: number }) => void;

/**
 * A reply packet as the bus carries it: `response` under its `id`; one the server cannot carry
 * (above its max_payload) is replaced by a `reply_too_large` RpcError, so the caller hears at once
 * instead of waiting out its timeout — big documents take another path (see DocumentStore).
 */
export function encodeReply(packet: { id?: string; response?: unknown; err?: unknown; isDisposed?: boolean }, maxPayload: number, onOversize: OversizeReport): string {
  const data = JSON.stringify(packet);
  const bytes = Buffer.byteLength(data);
  if (bytes <= maxPayload) return data;
  onOversize({ bytes, maxPayload });
  const tooLarge: RpcError = { ok: false, code: 'reply_too_large', message: `the reply is ${bytes} bytes; the bus carries at most ${maxPayload}` };
  return JSON.stringify({ id: packet.id, response: tooLarge, isDisposed: true });
}
