import type { Msg, NatsConnection, Subscription } from '@nats-io/nats-core';
import type { BusNamespace, RpcError, RpcReplyOf, RpcRequestOf, RpcSpec, StructuredLogger } from '@stagehook/contracts';
import { silentLogger } from '@stagehook/contracts';

/** No responder answered in time, or none is subscribed: the caller decides whether to retry. */
export class RpcUnavailableError extends Error {
  constructor(
    readonly subject: string,
    cause: unknown,
  ) {
    super(`no reply on ${subject}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
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
 * raw parsed JSON and must validate it; a body that is not JSON and a handler that throws get an
 * `{ ok: false }` reply, never silence (the caller would wait for its whole timeout).
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
      void answer(msg);
    },
  });

  async function answer(msg: Msg): Promise<void> {
    let reply: RpcReplyOf<S> | RpcError;
    try {
      let body: unknown;
      try {
        body = msg.json();
      } catch {
        reply = { ok: false, code: 'invalid_request', message: 'request body is not JSON' };
        msg.respond(JSON.stringify(reply));
        return;
      }
      reply = await handler(body);
    } catch (err) {
      logger.error({ err, subject }, 'rpc handler failed');
      reply = { ok: false, code: 'internal', message: 'the responder failed; see its logs' };
    }
    msg.respond(JSON.stringify(reply));
  }
}
