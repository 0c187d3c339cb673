import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Actor, actorRefOrProject, ProjectId, RequestId, type TokenActor } from '@stagehook/platform';
import { EventTypeView } from '../../queries/query-event-types/event-type.view.js';
import { DeprecateEventTypeDto } from './deprecate-event-type.dto.js';
import { DeprecateEventTypeHandler } from './deprecate-event-type.handler.js';

@ApiTags('event-types')
@Controller()
export class DeprecateEventTypeController {
  constructor(private readonly handler: DeprecateEventTypeHandler) {}

  @Post('event-types/:name/deprecate')
  @HttpCode(200)
  // operationId: the one this route had before the event-types controller was split (the SDK is generated from it).
  @ApiOperation({
    summary: 'Deprecate: new subscriptions to it are refused, existing ones keep receiving it (repeating is a no-op)',
    operationId: 'EventTypesController_deprecate',
  })
  @ApiOkResponse({ type: EventTypeView })
  deprecate(
    @ProjectId() projectId: string,
    @Actor() actor: TokenActor | undefined,
    @Param('name') name: string,
    @Body() dto: DeprecateEventTypeDto,
    @RequestId() requestId?: string,
  ): Promise<EventTypeView> {
    return this.handler.handle(projectId, name, dto.reason, actorRefOrProject(projectId, actor), requestId);
  }
}
