import type { NatsConnection } from '@nats-io/nats-core';
import { ClientNats, type MsPattern } from '@nestjs/microservices';
import type { BusNamespace, RpcReplyOf, RpcRequestOf, RpcSpec } from '@stagehook/contracts';
import { firstValueFrom, timeout } from 'rxjs';
import { RpcUnavailableError } from './errors.js';

export interface RpcRequestOptions {
  /** How long to wait for the reply; a missing responder fails at once (NATS' no-responders). */
  timeoutMs?: number;
}

/**
 * `@nestjs/microservices`' NATS ClientProxy on the service's own connection and bus namespace:
 * `send(pattern, data)` as in any Nest app, and `request(spec, data)` typed by an RpcSpec of
 * the contracts. Closing it fails the requests in flight and leaves the shared connection to its
 * owner (the platform's NATS provider).
 */
export class RpcClient extends ClientNats {
  constructor(
    private readonly nats: NatsConnection,
    private readonly namespace: BusNamespace,
  ) {
    super({});
  }

  override async connect(): Promise<NatsConnection> {
    this.natsClient = this.nats;
    return this.nats;
  }

  override async close(): Promise<void> {
    this.handleClose();
  }

  /**
   * The reply to `request` (which may be `{ ok: false, code, message }`); RpcUnavailableError when
   * no responder answers within `timeoutMs`.
   */
  async request<S extends RpcSpec<unknown, unknown>>(spec: S, request: RpcRequestOf<S>, { timeoutMs = 5_000 }: RpcRequestOptions = {}): Promise<RpcReplyOf<S>> {
    try {
      return await firstValueFrom(this.send<RpcReplyOf<S>, RpcRequestOf<S>>(spec.subject, request).pipe(timeout(timeoutMs)));
    } catch (err) {
      throw new RpcUnavailableError(this.namespace.subject(spec.subject), err);
    }
  }

  protected override normalizePattern(pattern: MsPattern): string {
    return this.namespace.subject(super.normalizePattern(pattern));
  }
}
