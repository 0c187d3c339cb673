import { Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { DeliveryRpc, type TestPingReply } from '@stagehook/contracts';
import { RpcClient, RpcUnavailableError } from '@stagehook/messaging';
import { DomainError, NotFoundError, ProjectId } from '@stagehook/platform';
import { WebhooksConfig } from '../../config.js';
import { WebhooksErrorCode } from '../../domain/errors.js';
import { EndpointQueryRepository } from '../../persistence/endpoint.query-repository.js';
import { EndpointIdParam } from '../../queries/query-endpoints/query-endpoints.dto.js';

export class TestPingView implements TestPingReply {
  @ApiProperty({ nullable: true, type: Number }) statusCode!: number | null;
  @ApiProperty() latencyMs!: number;
  @ApiProperty({ type: Object }) responseHeaders!: Record<string, string>;
  @ApiProperty({ description: 'Capped at 20 kB' }) responseBody!: string;
  @ApiProperty({ nullable: true, type: String }) error!: string | null;
  @ApiProperty() webhookId!: string;
}

/**
 * V7's test button. The sending lives in the delivery service (its SSRF checks, signing and
 * headers are the real ones); the registry asks it over NATS and waits a little longer than the
 * endpoint's own timeout.
 */
@ApiTags('endpoints')
@Controller('endpoints')
export class TestPingController {
  constructor(
    private readonly repo: EndpointQueryRepository,
    private readonly config: WebhooksConfig,
    private readonly rpc: RpcClient,
  ) {}

  @Post(':id/test')
  @HttpCode(200)
  @ApiOperation({ summary: 'Send a webhook.test event now and return what the endpoint answered (503 when delivery is down)' })
  @ApiOkResponse({ type: TestPingView })
  async test(@ProjectId() projectId: string, @Param() p: EndpointIdParam): Promise<TestPingView> {
    const found = await this.repo.findInProject(projectId, p.id);
    if (!found) throw new NotFoundError(`endpoint ${p.id} not found`);
    const timeoutMs = found.endpoint.timeoutMs + this.config.TEST_PING_MARGIN_MS;
    let reply;
    try {
      reply = await this.rpc.request(DeliveryRpc.testPing, { projectId, endpointId: p.id }, { timeoutMs });
    } catch (err) {
      if (err instanceof RpcUnavailableError) {
        throw new DomainError(
          WebhooksErrorCode.DELIVERY_UNAVAILABLE,
          `the delivery service did not answer within ${timeoutMs} ms, so no test ping was sent (or its result is unknown); try again shortly`,
        );
      }
      throw err;
    }
    if (!reply.ok) {
      // The delivery view is built from our events: right after registration it may lag.
      if (reply.code === 'not_found') {
        throw new DomainError(WebhooksErrorCode.DELIVERY_NOT_READY, 'the delivery service has not seen this endpoint yet; try again in a moment');
      }
      throw new DomainError(WebhooksErrorCode.DELIVERY_FAILED, `the delivery service could not send the test ping: ${reply.message}`, { code: reply.code });
    }
    const { statusCode, latencyMs, responseHeaders, responseBody, error, webhookId } = reply;
    return { statusCode, latencyMs, responseHeaders, responseBody, error, webhookId };
  }
}
