import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { Subscription } from '@nats-io/nats-core';
import { BusNamespace, ID_PATTERN, WebhooksRpc, type RpcReplyOf } from '@stagehook/contracts';
import { serveRpc } from '@stagehook/messaging';
import { LOGGER, NATS_CONNECTION, type Logger, type NatsConnection } from '@stagehook/platform';
import { EndpointRepository } from '../endpoint.repository.js';

/** `WebhooksRpc.endpoint`: whether an endpoint exists in a project, and whether it is active. */
@Injectable()
export class EndpointLookupRpc implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private sub: Subscription | undefined;

  constructor(
    @Inject(NATS_CONNECTION) private readonly nats: NatsConnection,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly namespace: BusNamespace,
    private readonly repo: EndpointRepository,
  ) {}

  onApplicationBootstrap(): void {
    this.sub = serveRpc(
      this.nats,
      this.namespace,
      WebhooksRpc.endpoint,
      'webhooks',
      async (body): Promise<RpcReplyOf<typeof WebhooksRpc.endpoint>> => {
        const r = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
        const isId = (v: unknown): v is string => typeof v === 'string' && v.length <= 128 && ID_PATTERN.test(v);
        if (!isId(r.projectId) || !isId(r.endpointId)) {
          return { ok: false, code: 'invalid_request', message: 'projectId and endpointId are required ids' };
        }
        const found = await this.repo.findInProject(r.projectId, r.endpointId);
        if (!found) return { ok: false, code: 'not_found', message: `endpoint ${r.endpointId} not found in project ${r.projectId}` };
        return { ok: true, endpoint: { id: found.endpoint.endpointId, active: found.endpoint.active, disabledReason: found.endpoint.disabledReason } };
      },
      this.logger.child({ component: 'rpc' }),
    );
  }

  beforeApplicationShutdown(): void {
    this.sub?.unsubscribe();
    this.sub = undefined;
  }
}
