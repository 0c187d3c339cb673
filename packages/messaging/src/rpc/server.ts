import type { Msg, NatsConnection, Subscription } from '@nats-io/nats-core';
import { ServerNats, type ConsumerDeserializer, type IncomingRequest, type Serializer } from '@nestjs/microservices';
import type { BusNamespace, StructuredLogger } from '@stagehook/contracts';
import { silentLogger } from '@stagehook/contracts';
import { encodeReply, isRpcError, readRequest, type RequestPacket } from './wire.js';

export interface NatsRpcServerOptions {
  nats: NatsConnection;
  namespace: BusNamespace;
  /** The queue group replicas of one service share (its name). */
  queue: string;
  logger?: StructuredLogger;
}

/**
 * `@nestjs/microservices`' NATS transport serving a service's `@MessagePattern` handlers (declared
 * with `OnRequest`) on the service's own connection, under its bus namespace, in a queue group so
 * replicas share requests. Beyond Nest's server: every request gets a reply, never silence (the
 * caller would wait its whole timeout) — a body that is not a request packet is `invalid_request`,
 * a reply the bus cannot carry `reply_too_large`; and closing drains its subscriptions but leaves
 * the connection to its owner.
 */
export class NatsRpcServer extends ServerNats {
  readonly #o: NatsRpcServerOptions;
  readonly #logger: StructuredLogger;
  readonly #subs: Subscription[] = [];

  constructor(o: NatsRpcServerOptions) {
    const logger = o.logger ?? silentLogger;
    super({ queue: o.queue, serializer: boundedReplies(o.nats, logger), deserializer: parsedRequests });
    this.#o = o;
    this.#logger = logger;
  }

  override async createNatsClient(): Promise<NatsConnection> {
    return this.#o.nats;
  }

  /** The platform's NATS provider reports the shared connection's status already. */
  override async handleStatusUpdates(): Promise<void> {}

  override bindEvents(client: NatsConnection): void {
    for (const [pattern, handler] of this.messageHandlers) {
      const queue = (handler.extras as { queue?: string } | undefined)?.queue ?? this.#o.queue;
      const subject = this.#o.namespace.subject(pattern);
      const onMessage = this.getMessageHandler(pattern) as (err: Error | null, msg: Msg) => Promise<unknown>;
      this.#subs.push(client.subscribe(subject, { queue, callback: (err, msg) => void onMessage.call(this, err, msg) }));
      this.#logger.debug({ subject, queue }, 'rpc responder subscribed');
    }
  }

  override async handleMessage(channel: string, msg: Msg): Promise<unknown> {
    const request = readRequest(msg);
    if (isRpcError(request)) {
      this.#logger.warn({ subject: msg.subject, code: request.code }, 'rpc request refused');
      if (msg.reply) msg.respond(JSON.stringify({ response: request, isDisposed: true }));
      return;
    }
    parsed.set(msg, request);
    return super.handleMessage(channel, msg);
  }

  override async close(): Promise<void> {
    const subs = this.#subs.splice(0);
    await Promise.all(subs.filter((s) => !s.isClosed()).map((s) => s.drain().catch(() => undefined)));
  }
}

/** Requests parsed once in handleMessage, handed to Nest's flow by the deserializer. */
const parsed = new WeakMap<Msg, RequestPacket>();

const parsedRequests: ConsumerDeserializer = {
  deserialize(msg: Msg): IncomingRequest {
    const request = parsed.get(msg);
    if (!request) throw new Error('an RPC request reached the deserializer without being read');
    parsed.delete(msg);
    return request;
  },
};

function boundedReplies(nats: NatsConnection, logger: StructuredLogger): Serializer {
  return {
    serialize: (packet: { id?: string; response?: unknown; err?: unknown; isDisposed?: boolean }) => ({
      data: encodeReply(packet, nats.info?.max_payload ?? Number.POSITIVE_INFINITY, (info) => logger.error(info, 'rpc reply too large for the bus')),
    }),
  };
}
