import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Actor, actorRefOrProject, ProjectId, RequestId, type TokenActor } from '@stagehook/platform';
import { EventTypeView } from '../../queries/query-event-types/event-type.view.js';
import { AddEventTypeVersionDto } from './add-event-type-version.dto.js';
import { AddEventTypeVersionHandler } from './add-event-type-version.handler.js';

@ApiTags('event-types')
@Controller()
export class AddEventTypeVersionController {
  constructor(private readonly handler: AddEventTypeVersionHandler) {}

  @Post('event-types/:name/versions')
  @HttpCode(201)
  // operationId: the one this route had before the event-types controller was split (the SDK is generated from it).
  @ApiOperation({
    summary: 'Add a schema version (versions are immutable; publishers name the version they send)',
    operationId: 'EventTypesController_addVersion',
  })
  @ApiCreatedResponse({ type: EventTypeView })
  addVersion(
    @ProjectId() projectId: string,
    @Actor() actor: TokenActor | undefined,
    @Param('name') name: string,
    @Body() dto: AddEventTypeVersionDto,
    @RequestId() requestId?: string,
  ): Promise<EventTypeView> {
    return this.handler.handle(projectId, name, dto, actorRefOrProject(projectId, actor), requestId);
  }
}
