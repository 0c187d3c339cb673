import { Body, Controller, Headers, HttpCode, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Actor, actorRefOrProject, BadRequestError, DomainError, ProjectId, RequestId, Scopes, type TokenActor } from '@stagehook/platform';
import { WebhooksErrorCode } from '../../domain/errors.js';
import { PublishBatchDto, PublishedBatchView, PublishedEventView, PublishEventDto } from './publish-events.dto.js';
import { PublishEventsHandler } from './publish-events.handler.js';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

const idempotencyHeader = ApiHeader({
  name: 'Idempotency-Key',
  required: false,
  description: 'A repeat within 24 h answers the first result and publishes nothing new; reused for another body: 409',
});

function checkKey(key: string | undefined): string | undefined {
  if (key === undefined) return undefined;
  if (!IDEMPOTENCY_KEY.test(key)) throw new BadRequestError('Idempotency-Key must be 1-200 visible ASCII characters', { field: 'Idempotency-Key' });
  return key;
}

function requirePublish(scopes: string[]): void {
  if (!scopes.includes('publish')) {
    throw new DomainError(WebhooksErrorCode.PUBLISH_SCOPE_REQUIRED, 'publishing events needs a project token with the publish scope', { scope: 'publish' });
  }
}

/** Internal services publish events of their registered types; answered once the events are durable. */
@ApiTags('events')
@Controller('events')
export class PublishEventsController {
  constructor(private readonly intake: PublishEventsHandler) {}

  @Post()
  @HttpCode(202)
  @idempotencyHeader
  @ApiOperation({ summary: 'Publish one event of a registered type (token scope publish; 422 naming every path that fails the schema)' })
  @ApiAcceptedResponse({ type: PublishedEventView })
  async publish(
    @ProjectId() projectId: string,
    @Scopes() scopes: string[],
    @Actor() actor: TokenActor | undefined,
    @Body() dto: PublishEventDto,
    @Headers('idempotency-key') key?: string,
    @RequestId() requestId?: string,
  ): Promise<PublishedEventView> {
    requirePublish(scopes);
    const idempotencyKey = checkKey(key);
    const [view] = await this.intake.publish([dto], {
      projectId,
      by: actorRefOrProject(projectId, actor),
      via: 'http',
      ...(idempotencyKey ? { idempotencyKey } : {}),
      ...(requestId ? { requestId } : {}),
    });
    return view;
  }

  @Post('batch')
  @HttpCode(202)
  @idempotencyHeader
  @ApiOperation({ summary: 'Publish up to 1,000 events at once: all are accepted or none (422 names each failing events[i] path)' })
  @ApiAcceptedResponse({ type: PublishedBatchView })
  async publishBatch(
    @ProjectId() projectId: string,
    @Scopes() scopes: string[],
    @Actor() actor: TokenActor | undefined,
    @Body() dto: PublishBatchDto,
    @Headers('idempotency-key') key?: string,
    @RequestId() requestId?: string,
  ): Promise<PublishedBatchView> {
    requirePublish(scopes);
    const idempotencyKey = checkKey(key);
    const data = await this.intake.publish(dto.events, {
      projectId,
      by: actorRefOrProject(projectId, actor),
      via: 'http',
      pathOf: (i) => `events[${i}]`,
      ...(idempotencyKey ? { idempotencyKey } : {}),
      ...(requestId ? { requestId } : {}),
    });
    return { data };
  }
}
