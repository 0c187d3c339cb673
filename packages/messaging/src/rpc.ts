import type { Msg, NatsConnection, Subscription } from '@nats-io/nats-core';
import type { BusNamespace, RpcError, RpcReplyOf, RpcRequestOf, RpcSpec, StructuredLogger } from '@stagehook/contracts';
import { silentLogger } from '@stagehook/contracts';
import { DependencyUnavailableError } from './errors.js';

/**
 * No responder answered in time, or none is subscribed. A consumer handler that lets it through
 * waits for the responder in place (a DependencyUnavailableError); an HTTP handler answers 503.
 */
export class RpcUnavailableError extends DependencyUnavailableError {
  constructor(
    readonly subject: string,
    cause: unknown,
  ) {
    super(`the responder of ${subject}`, `no reply (${cause instanceof Error ? cause.message : String(cause)})`, { cause });
    this.name = 'RpcUnavailableError';
  }
}

/** Sends a request and returns the reply (which may be `{ ok: false, code, message }`). */
export async function rpcRequest<S extends RpcSpec<unknown, unknown>>(
  nc: NatsConnection,
  namespace: BusNamespace,
  spec: S,
  request: RpcRequestOf<S>,
  { timeoutMs = 5_000 }: { timeoutMs?: number } = {},
): Promise<RpcReplyOf<S>> {
  const subject = namespace.subject(spec.subject);
  let msg: Msg;
  try {
    msg = await nc.request(subject, JSON.stringify(request), { timeout: timeoutMs });
  } catch (err) {
    throw new RpcUnavailableError(subject, err);
  }
  return msg.json<RpcReplyOf<S>>();
}

export type RpcHandler<S extends RpcSpec<unknown, unknown>> = (request: unknown) => Promise<RpcReplyOf<S>>;

/**
 * Answers requests of one spec with a queue group, so replicas share them. The handler gets the
 * raw parsed JSON and must validate it. Every request gets a reply, never silence (the caller
 * would wait for its whole timeout) and never an exception out of the subscription (an unhandled
 * rejection ends the process): a body that is not JSON is `invalid_request`, a throwing handler
 * `internal`, and a reply the server cannot carry (above its max_payload) `reply_too_large` —
 * big documents take another path (see the items service's Darwin export).
 */
export function serveRpc<S extends RpcSpec<unknown, unknown>>(
  nc: NatsConnection,
  namespace: BusNamespace,
  spec: S,
  queue: string,
  handler: RpcHandler<S>,
  logger: StructuredLogger = silentLogger,
): Subscription {
  const subject = namespace.subject(spec.subject);
  return nc.subscribe(subject, {
    queue,
    callback: (err, msg) => {
      if (err) {
        logger.error({ err, subject }, 'rpc subscription failed');
        return;
      }
      answer(msg).catch((e: unknown) => logger.error({ err: e, subject }, 'rpc reply could not be sent'));
    },
  });

  async function answer(msg: Msg): Promise<void> {
    let reply: RpcReplyOf<S> | RpcError;
    let body: unknown;
    try {
      body = msg.json();
    } catch {
      respond(msg, { ok: false, code: 'invalid_request', message: 'request body is not JSON' });
      return;
    }
    try {
      reply = await handler(body);
    } catch (err) {
      logger.error({ err, subject }, 'rpc handler failed');
      reply = { ok: false, code: 'internal', message: 'the responder failed; see its logs' };
    }
    respond(msg, reply);
  }

  function respond(msg: Msg, reply: unknown): void {
    const data = new TextEncoder().encode(JSON.stringify(reply));
    const max = nc.info?.max_payload ?? Number.POSITIVE_INFINITY;
    if (data.byteLength > max) {
      logger.error({ subject, bytes: data.byteLength, maxPayload: max }, 'rpc reply too large for the bus');
      msg.respond(JSON.stringify({ ok: false, code: 'reply_too_large', message: `the reply is ${data.byteLength} bytes; the bus carries at most ${max}` } satisfies RpcError));
      return;
    }
    msg.respond(data);
  }
}
