import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Actor, actorRefOrProject, ProjectId, RequestId, type TokenActor } from '@stagehook/platform';
import { asyncApiDocument } from '../asyncapi.js';
import { EventTypeCatalogue } from '../event-type-catalogue.js';
import { AddEventTypeVersionDto, DeprecateEventTypeDto, RegisterEventTypeDto } from '../event-type.dto.js';
import { EventTypeListView, EventTypeView } from '../event-type.view.js';

@ApiTags('event-types')
@Controller()
export class EventTypesController {
  constructor(private readonly catalogue: EventTypeCatalogue) {}

  @Post('event-types')
  @HttpCode(201)
  @ApiOperation({ summary: 'Register a custom event type with its first schema version (409 if the name exists, 422 for a bad schema or example)' })
  @ApiCreatedResponse({ type: EventTypeView })
  register(@ProjectId() projectId: string, @Actor() actor: TokenActor | undefined, @Body() dto: RegisterEventTypeDto, @RequestId() requestId?: string): Promise<EventTypeView> {
    return this.catalogue.register(projectId, dto, actorRefOrProject(projectId, actor), requestId);
  }

  @Get('event-types')
  @ApiOperation({ summary: 'Every event type the project can subscribe to: built-in (read-only) and registered, with their schemas' })
  @ApiOkResponse({ type: EventTypeListView })
  async list(@ProjectId() projectId: string): Promise<EventTypeListView> {
    return { data: await this.catalogue.list(projectId) };
  }

  @Get('asyncapi')
  @ApiOperation({ summary: "The project's event catalogue as an AsyncAPI 3.0 document" })
  @ApiOkResponse({ schema: { type: 'object', additionalProperties: true } })
  async asyncApi(@ProjectId() projectId: string): Promise<Record<string, unknown>> {
    return asyncApiDocument(projectId, await this.catalogue.list(projectId));
  }

  @Get('event-types/:name')
  @ApiOperation({ summary: 'One event type with every schema version' })
  @ApiOkResponse({ type: EventTypeView })
  describe(@ProjectId() projectId: string, @Param('name') name: string): Promise<EventTypeView> {
    return this.catalogue.describe(projectId, name);
  }

  @Post('event-types/:name/versions')
  @HttpCode(201)
  @ApiOperation({ summary: 'Add a schema version (versions are immutable; publishers name the version they send)' })
  @ApiCreatedResponse({ type: EventTypeView })
  addVersion(
    @ProjectId() projectId: string,
    @Actor() actor: TokenActor | undefined,
    @Param('name') name: string,
    @Body() dto: AddEventTypeVersionDto,
    @RequestId() requestId?: string,
  ): Promise<EventTypeView> {
    return this.catalogue.addVersion(projectId, name, dto, actorRefOrProject(projectId, actor), requestId);
  }

  @Post('event-types/:name/deprecate')
  @HttpCode(200)
  @ApiOperation({ summary: 'Deprecate: new subscriptions to it are refused, existing ones keep receiving it (repeating is a no-op)' })
  @ApiOkResponse({ type: EventTypeView })
  deprecate(
    @ProjectId() projectId: string,
    @Actor() actor: TokenActor | undefined,
    @Param('name') name: string,
    @Body() dto: DeprecateEventTypeDto,
    @RequestId() requestId?: string,
  ): Promise<EventTypeView> {
    return this.catalogue.deprecate(projectId, name, dto.reason, actorRefOrProject(projectId, actor), requestId);
  }
}
