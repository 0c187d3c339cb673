import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ProjectId, RequestId } from '@stagehook/platform';
import { ItemParams } from '../../params.dto.js';
import type { PositionView } from '../../persistence/views.js';
import { ItemCommandHandler } from '../shared/item-command.handler.js';
import { SetStageDto } from './set-stage.dto.js';

@ApiTags('items in workflows')
@ApiBearerAuth()
@Controller('workflows/:id/items')
export class SetStageController {
  constructor(private readonly handler: ItemCommandHandler) {}

  @Post(':itemId/set-stage')
  @HttpCode(200)
  // WIRE: the operation id the SDK is generated with (it was derived from the controller's old name).
  @ApiOperation({ operationId: 'ItemsController_setStage', summary: 'Admin: put the item in any stage, recording who and why' })
  setStage(@ProjectId() projectId: string, @Param() params: ItemParams, @Body() body: SetStageDto, @RequestId() requestId?: string): Promise<PositionView> {
    return this.handler.handle(
      projectId,
      params.id,
      params.itemId,
      { type: 'SetStage', stageId: body.stageId, by: body.by, reason: body.reason },
      { correlationId: requestId, by: body.by },
    );
  }
}
