import type { Msg, NatsConnection, Subscription } from '@nats-io/nats-core';
import type { BusNamespace, RpcError, RpcReplyOf, RpcRequestOf, RpcSpec, StructuredLogger } from '@stagehook/contracts';
import { silentLogger } from '@stagehook/contracts';
import { RpcClient, type RpcRequestOptions } from './client.js';
import { encodeReply, isRpcError, readRequest } from './wire.js';

/**
 * Sends a request and returns the reply (which may be `{ ok: false, code, message }`), for code
 * outside a Nest app (tools, tests, benches); a service injects its RpcClient instead.
 */
export async function rpcRequest<S extends RpcSpec<unknown, unknown>>(
  nc: NatsConnection,
  namespace: BusNamespace,
  spec: S,
  request: RpcRequestOf<S>,
  options: RpcRequestOptions = {},
): Promise<RpcReplyOf<S>> {
  return new RpcClient(nc, namespace).request(spec, request, options);
}

export type RpcHandler<S extends RpcSpec<unknown, unknown>> = (request: unknown) => Promise<RpcReplyOf<S>>;

/**
 * Answers requests of one spec in a queue group, for a process without a Nest app (a test's
 * stand-in for a service, a bench); services declare `OnRequest` handlers, served by
 * NatsRpcServer, with the same wire and the same promises: the handler gets the request's data
 * and must check it; every request gets a reply — not a request packet is `invalid_request`, a
 * throwing handler `internal`, a reply above the server's max_payload `reply_too_large`.
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
    const request = readRequest(msg);
    if (isRpcError(request)) {
      respond(msg, undefined, request);
      return;
    }
    let reply: RpcReplyOf<S> | RpcError;
    try {
      reply = await handler(request.data);
    } catch (err) {
      logger.error({ err, subject }, 'rpc handler failed');
      reply = { ok: false, code: 'internal', message: 'the responder failed; see its logs' };
    }
    respond(msg, request.id, reply);
  }

  function respond(msg: Msg, id: string | undefined, response: unknown): void {
    const max = nc.info?.max_payload ?? Number.POSITIVE_INFINITY;
    msg.respond(encodeReply({ id, response, isDisposed: true }, max, (info) => logger.error({ subject, ...info }, 'rpc reply too large for the bus')));
  }
}
