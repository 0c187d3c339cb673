import { Body, Controller, Get, Headers, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ProjectId } from '@stagehook/platform';
import { parseIfMatch } from '../shared/if-match.js';
import type { DefinitionView } from '../shared/repositories.js';
import { DefinitionsService } from './definitions.service.js';
import { CreateTemplateDto, SaveWorkflowDto, VersionQuery, WorkflowIdParams } from './dto.js';

@ApiTags('workflows')
@ApiBearerAuth()
@Controller('workflows')
export class DefinitionsController {
  constructor(private readonly definitions: DefinitionsService) {}

  @Post()
  @ApiOperation({ summary: 'Create a workflow; an invalid graph is a 422 listing every problem' })
  create(@ProjectId() projectId: string, @Body() body: SaveWorkflowDto): Promise<DefinitionView> {
    return this.definitions.create(projectId, body.name, body.stages);
  }

  @Post('template')
  @ApiOperation({ summary: 'Create dataset → annotate → webhook → review → complete (failed → review, reject → annotate)' })
  template(@ProjectId() projectId: string, @Body() body: CreateTemplateDto): Promise<DefinitionView> {
    return this.definitions.createTemplate(projectId, body);
  }

  @Get()
  list(@ProjectId() projectId: string): Promise<DefinitionView[]> {
    return this.definitions.list(projectId);
  }

  @Get(':id')
  get(@ProjectId() projectId: string, @Param() params: WorkflowIdParams, @Query() query: VersionQuery): Promise<DefinitionView> {
    return this.definitions.get(projectId, params.id, query.version);
  }

  @Put(':id')
  @HttpCode(200)
  @ApiOperation({ summary: 'Save a new version; items in flight finish on the version they started' })
  // Named as the @Headers parameter is, so Swagger merges the two into one optional header
  // instead of documenting the parameter as a second, required one.
  @ApiHeader({ name: 'if-match', required: false, description: 'The version the edit is based on; 409 if the workflow moved on' })
  update(@ProjectId() projectId: string, @Param() params: WorkflowIdParams, @Body() body: SaveWorkflowDto, @Headers('if-match') ifMatch?: string): Promise<DefinitionView> {
    return this.definitions.update(projectId, params.id, body.name, body.stages, parseIfMatch(ifMatch));
  }
}
