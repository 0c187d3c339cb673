import { Controller, Get, Param } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ProjectId } from '@stagehook/platform';
import { asyncApiDocument } from './asyncapi.js';
import { EventTypeCatalogue } from './event-type-catalogue.js';
import { EventTypeListView, EventTypeView } from './event-type.view.js';

@ApiTags('event-types')
@Controller()
export class EventTypesController {
  constructor(private readonly catalogue: EventTypeCatalogue) {}

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
}
