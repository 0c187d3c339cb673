import { Body, Controller, Headers, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ProjectId, RequestId } from '@stagehook/platform';
import { ItemParams } from '../../params.dto.js';
import type { PositionView } from '../../persistence/views.js';
import { clientContext, IF_MATCH } from '../shared/item-command.dto.js';
import { ItemCommandHandler } from '../shared/item-command.handler.js';
import { MoveDto } from './move-item.dto.js';

@ApiTags('items in workflows')
@ApiBearerAuth()
@Controller('workflows/:id/items')
export class MoveItemController {
  constructor(private readonly handler: ItemCommandHandler) {}

  @Post(':itemId/move')
  @HttpCode(200)
  @ApiHeader(IF_MATCH)
  // WIRE: the operation id the SDK is generated with (it was derived from the controller's old name).
  @ApiOperation({ operationId: 'ItemsController_move', summary: 'Move the item through a named edge of its current stage' })
  move(
    @ProjectId() projectId: string,
    @Param() params: ItemParams,
    @Body() body: MoveDto,
    @Headers('if-match') ifMatch?: string,
    @RequestId() requestId?: string,
  ): Promise<PositionView> {
    return this.handler.handle(projectId, params.id, params.itemId, { type: 'MoveItem', edge: body.edge }, clientContext(body, ifMatch, requestId));
  }
}
