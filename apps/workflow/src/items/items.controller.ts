import { Body, Controller, Get, Headers, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ProjectId, RequestId } from '@stagehook/platform';
import { ItemNotInWorkflowError } from '../domain/errors.js';
import { parseIfMatch } from '../shared/if-match.js';
import { DefinitionsRepository, PositionsRepository, type PositionView, type VisitView } from '../shared/repositories.js';
import { AddItemsDto, CommandDto, CommandParams, ItemParams, MoveDto, SetStageDto, STAGE_ACTION_COMMANDS } from './dto.js';
import { type ClientContext, ItemCommandsService } from './item-commands.service.js';
import { WorkflowIdParams } from '../definitions/dto.js';

// Named as the @Headers('if-match') parameters are, so Swagger merges the two into one optional
// header instead of documenting the parameter as a second, required one.
const IF_MATCH = { name: 'if-match', required: false, description: "The item's stream version the client saw (the version it saved its annotations at)" };

@ApiTags('items in workflows')
@ApiBearerAuth()
@Controller('workflows/:id/items')
export class ItemsController {
  constructor(
    private readonly commands: ItemCommandsService,
    private readonly definitions: DefinitionsRepository,
    private readonly positions: PositionsRepository,
  ) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({ summary: 'Add up to 1,000 items to the dataset stage; unknown items are a 422 listing them' })
  add(@ProjectId() projectId: string, @Param() params: WorkflowIdParams, @Body() body: AddItemsDto, @RequestId() requestId?: string) {
    return this.commands.addItems(projectId, params.id, body.itemIds, { correlationId: requestId });
  }

  @Post(':itemId/move')
  @HttpCode(200)
  @ApiHeader(IF_MATCH)
  @ApiOperation({ summary: 'Move the item through a named edge of its current stage' })
  move(
    @ProjectId() projectId: string,
    @Param() params: ItemParams,
    @Body() body: MoveDto,
    @Headers('if-match') ifMatch?: string,
    @RequestId() requestId?: string,
  ): Promise<PositionView> {
    return this.commands.command(projectId, params.id, params.itemId, { type: 'MoveItem', edge: body.edge }, client(body, ifMatch, requestId));
  }

  @Post(':itemId/set-stage')
  @HttpCode(200)
  @ApiOperation({ summary: 'Admin: put the item in any stage, recording who and why' })
  setStage(@ProjectId() projectId: string, @Param() params: ItemParams, @Body() body: SetStageDto, @RequestId() requestId?: string): Promise<PositionView> {
    return this.commands.command(
      projectId,
      params.id,
      params.itemId,
      { type: 'SetStage', stageId: body.stageId, by: body.by, reason: body.reason },
      { correlationId: requestId, by: body.by },
    );
  }

  @Post(':itemId/:command')
  @HttpCode(200)
  @ApiHeader(IF_MATCH)
  @ApiOperation({ summary: 'start (dataset), submit (annotate), approve / reject (review); 409 naming the stage elsewhere' })
  command(
    @ProjectId() projectId: string,
    @Param() params: CommandParams,
    @Body() body: CommandDto,
    @Headers('if-match') ifMatch?: string,
    @RequestId() requestId?: string,
  ): Promise<PositionView> {
    return this.commands.command(projectId, params.id, params.itemId, { type: STAGE_ACTION_COMMANDS[params.command] }, client(body, ifMatch, requestId));
  }

  @Get(':itemId')
  async position(@ProjectId() projectId: string, @Param() params: ItemParams): Promise<PositionView> {
    await this.definitions.assertInProject(params.id, projectId);
    const pos = await this.positions.find(params.id, params.itemId);
    if (!pos) throw new ItemNotInWorkflowError(params.itemId);
    return pos;
  }

  @Get(':itemId/history')
  @ApiOperation({ summary: "The item's visits with times and outcomes, oldest first" })
  async history(@ProjectId() projectId: string, @Param() params: ItemParams): Promise<{ visits: VisitView[] }> {
    await this.definitions.assertInProject(params.id, projectId);
    const visits = await this.positions.history(params.id, params.itemId);
    if (visits.length === 0) throw new ItemNotInWorkflowError(params.itemId);
    return { visits };
  }
}

function client(body: CommandDto, ifMatch: string | undefined, requestId: string | undefined): ClientContext {
  const header = parseIfMatch(ifMatch);
  const versions = [header, body.itemVersion].filter((v): v is number => v !== undefined);
  return {
    ...(versions.length > 0 ? { itemVersion: Math.max(...versions) } : {}),
    ...(body.visitId ? { visitId: body.visitId } : {}),
    ...(body.by ? { by: body.by } : {}),
    ...(requestId ? { correlationId: requestId } : {}),
  };
}
