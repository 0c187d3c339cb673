import { randomUUID } from 'node:crypto';
import { Controller } from '@nestjs/common';
import { DeliveryRpc, type RpcReplyOf, type TestPingReply } from '@stagehook/contracts';
import { OnRequest } from '@stagehook/messaging';
import { DispatcherHost } from '../attempt-delivery/dispatcher.host.js';
import { renderBody } from '../../domain/payload-formats.js';
import { requestHeaders } from '../../adapters/request-headers.js';

const ID = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * The registry's test button: sends a signed `webhook.test` to the endpoint now, outside the
 * retry queue and the breaker (the user wants to see what the endpoint answers, even while its
 * breaker is open), and replies with what came back.
 */
@Controller()
export class TestPingRpc {
  constructor(private readonly host: DispatcherHost) {}

  @OnRequest(DeliveryRpc.testPing)
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
    const sent = renderBody(s.payloadFormat, body);
    const { headers } = requestHeaders(s, this.host.openSecret, webhookId, ts, sent);
    const res = await this.host.sender.send({ url: s.url, headers, body: sent, timeoutMs: s.timeoutMs });
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
