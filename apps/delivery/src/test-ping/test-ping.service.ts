import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { Subscription } from '@nats-io/nats-core';
import { BusNamespace, DeliveryRpc, type RpcReplyOf, type TestPingReply } from '@stagehook/contracts';
import { serveRpc } from '@stagehook/messaging';
import { LOGGER, NATS_CONNECTION, type NatsConnection } from '@stagehook/platform';
import type { Logger } from 'pino';
import { DispatcherHost } from '../dispatch/dispatcher.host.js';
import { requestHeaders } from '../sending/request-headers.js';

const ID = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * The registry's test button: sends a signed `webhook.test` to the endpoint now, outside the
 * retry queue and the breaker (the user wants to see what the endpoint answers, even while its
 * breaker is open), and replies with what came back.
 */
@Injectable()
export class TestPingService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private sub: Subscription | undefined;

  constructor(
    private readonly host: DispatcherHost,
    private readonly namespace: BusNamespace,
    @Inject(NATS_CONNECTION) private readonly nats: NatsConnection,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.sub = serveRpc(this.nats, this.namespace, DeliveryRpc.testPing, 'delivery', (req) => this.ping(req), this.logger);
  }

  beforeApplicationShutdown(): void {
    this.sub?.unsubscribe();
  }

  async ping(req: unknown): Promise<RpcReplyOf<typeof DeliveryRpc.testPing>> {
    const r = req as { projectId?: unknown; endpointId?: unknown } | null;
    if (!r || typeof r.projectId !== 'string' || !ID.test(r.projectId) || typeof r.endpointId !== 'string' || !ID.test(r.endpointId)) {
      return { ok: false, code: 'invalid_request', message: 'projectId and endpointId are required ids' };
    }
    const ep = await this.host.endpoints.get(r.endpointId);
    if (!ep || ep.projectId !== r.projectId || !ep.state) return { ok: false, code: 'not_found', message: `endpoint ${r.endpointId} not found` };
    const s = ep.state;
    const webhookId = `ping_${randomUUID()}`;
    const ts = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({ type: 'webhook.test', timestamp: new Date(ts * 1000).toISOString(), data: { endpointId: s.endpointId, projectId: s.projectId } });
    const { headers } = requestHeaders(s, this.host.openSecret, webhookId, ts, body);
    const res = await this.host.sender.send({ url: s.url, headers, body, timeoutMs: s.timeoutMs });
    const reply: TestPingReply = {
      statusCode: res.statusCode,
      latencyMs: res.durationMs,
      responseHeaders: res.responseHeaders,
      responseBody: res.responseBody,
      error: res.error,
      webhookId,
    };
    return { ok: true, ...reply };
  }
}
