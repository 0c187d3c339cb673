import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ProjectId } from '@stagehook/platform';
import { ItemNotInWorkflowError } from '../../domain/errors.js';
import { ItemParams } from '../../params.dto.js';
import { DefinitionsRepository } from '../../persistence/definitions.repository.js';
import { PositionsQueries } from '../../persistence/positions.queries.js';
import type { PositionView, VisitView } from '../../persistence/views.js';

/**
 * WIRE: operation ids the SDK is generated with (derived from the controller's old name). A route
 * that had no summary keeps none: `summary: undefined` stops ApiOperation defaulting it to ''.
 */
@ApiTags('items in workflows')
@ApiBearerAuth()
@Controller('workflows/:id/items')
export class ItemPositionController {
  constructor(
    private readonly definitions: DefinitionsRepository,
    private readonly positions: PositionsQueries,
  ) {}

  @Get(':itemId')
  @ApiOperation({ operationId: 'ItemsController_position', summary: undefined })
  async position(@ProjectId() projectId: string, @Param() params: ItemParams): Promise<PositionView> {
    await this.definitions.assertInProject(params.id, projectId);
    const pos = await this.positions.find(params.id, params.itemId);
    if (!pos) throw new ItemNotInWorkflowError(params.itemId);
    return pos;
  }

  @Get(':itemId/history')
  @ApiOperation({ operationId: 'ItemsController_history', summary: "The item's visits with times and outcomes, oldest first" })
  async history(@ProjectId() projectId: string, @Param() params: ItemParams): Promise<{ visits: VisitView[] }> {
    await this.definitions.assertInProject(params.id, projectId);
    const visits = await this.positions.history(params.id, params.itemId);
    if (visits.length === 0) throw new ItemNotInWorkflowError(params.itemId);
    return { visits };
  }
}
