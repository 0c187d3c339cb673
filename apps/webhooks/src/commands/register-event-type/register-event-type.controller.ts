import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Actor, actorRefOrProject, ProjectId, RequestId, type TokenActor } from '@stagehook/platform';
import { EventTypeView } from '../../queries/query-event-types/event-type.view.js';
import { RegisterEventTypeDto } from './register-event-type.dto.js';
import { RegisterEventTypeHandler } from './register-event-type.handler.js';

@ApiTags('event-types')
@Controller()
export class RegisterEventTypeController {
  constructor(private readonly handler: RegisterEventTypeHandler) {}

  @Post('event-types')
  @HttpCode(201)
  // operationId: the one this route had before the event-types controller was split (the SDK is generated from it).
  @ApiOperation({
    summary: 'Register a custom event type with its first schema version (409 if the name exists, 422 for a bad schema or example)',
    operationId: 'EventTypesController_register',
  })
  @ApiCreatedResponse({ type: EventTypeView })
  register(@ProjectId() projectId: string, @Actor() actor: TokenActor | undefined, @Body() dto: RegisterEventTypeDto, @RequestId() requestId?: string): Promise<EventTypeView> {
    return this.handler.handle(projectId, dto, actorRefOrProject(projectId, actor), requestId);
  }
}
