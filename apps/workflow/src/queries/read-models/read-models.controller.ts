import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ProjectId } from '@stagehook/platform';
import { WorkflowIdParams } from '../../params.dto.js';
import { DefinitionsRepository } from '../../persistence/definitions.repository.js';
import { PositionsQueries } from '../../persistence/positions.queries.js';
import type { PositionView } from '../../persistence/views.js';
import { PageQuery, StageItemsParams, WaitingQuery } from './read-models.dto.js';

@ApiTags('read models')
@ApiBearerAuth()
@Controller()
export class ReadModelsController {
  constructor(
    private readonly definitions: DefinitionsRepository,
    private readonly positions: PositionsQueries,
  ) {}

  @Get('workflows/:id/stages')
  @ApiOperation({ summary: 'Items per stage: every stage of the latest version (0 when empty), plus stages of older versions that still hold items' })
  async stages(@ProjectId() projectId: string, @Param() params: WorkflowIdParams) {
    const def = await this.definitions.getInProject(projectId, params.id);
    const counts = await this.positions.countsByStage(params.id);
    const byId = new Map(counts.map((c) => [c.stageId, c]));
    const stages = def.stages.map((s) => ({ stageId: s.id, stageName: s.name, stageType: s.type, count: byId.get(s.id)?.count ?? 0 }));
    const older = counts.filter((c) => !def.stages.some((s) => s.id === c.stageId));
    return { workflowId: def.workflowId, version: def.version, stages: [...stages, ...older], total: counts.reduce((n, c) => n + c.count, 0) };
  }

  @Get('workflows/:id/stages/:stageId/items')
  async stageItems(@ProjectId() projectId: string, @Param() params: StageItemsParams, @Query() query: PageQuery): Promise<{ items: PositionView[] }> {
    await this.definitions.assertInProject(params.id, projectId);
    return { items: await this.positions.inStage(params.id, params.stageId, query.limit ?? 100, query.after) };
  }

  @Get('webhook-waits')
  @ApiOperation({ summary: 'Items waiting in webhook stages longer than a threshold, oldest first' })
  async waiting(@ProjectId() projectId: string, @Query() query: WaitingQuery) {
    const now = new Date();
    const items = await this.positions.waitingInWebhookStages(projectId, new Date(now.getTime() - query.olderThanSeconds * 1000), query.limit ?? 100, query.workflowId);
    return { items: items.map((i) => ({ ...i, waitingSeconds: Math.floor((now.getTime() - Date.parse(i.enteredAt)) / 1000) })) };
  }
}
