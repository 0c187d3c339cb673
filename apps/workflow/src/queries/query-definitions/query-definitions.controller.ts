import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ProjectId } from '@stagehook/platform';
import { WorkflowIdParams } from '../../params.dto.js';
import { DefinitionsQueries } from '../../persistence/definitions.queries.js';
import { DefinitionsRepository } from '../../persistence/definitions.repository.js';
import type { DefinitionView } from '../../persistence/views.js';
import { VersionQuery } from './query-definitions.dto.js';

/**
 * WIRE: operation ids the SDK is generated with (derived from the controller's old name). A route
 * that had no summary keeps none: `summary: undefined` stops ApiOperation defaulting it to ''.
 */
@ApiTags('workflows')
@ApiBearerAuth()
@Controller('workflows')
export class QueryDefinitionsController {
  constructor(
    private readonly queries: DefinitionsQueries,
    private readonly definitions: DefinitionsRepository,
  ) {}

  @Get()
  @ApiOperation({ operationId: 'DefinitionsController_list', summary: undefined })
  list(@ProjectId() projectId: string): Promise<DefinitionView[]> {
    return this.queries.list(projectId);
  }

  @Get(':id')
  @ApiOperation({ operationId: 'DefinitionsController_get', summary: undefined })
  get(@ProjectId() projectId: string, @Param() params: WorkflowIdParams, @Query() query: VersionQuery): Promise<DefinitionView> {
    return this.definitions.getInProject(projectId, params.id, query.version);
  }
}
