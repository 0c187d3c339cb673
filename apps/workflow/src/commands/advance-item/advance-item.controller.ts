import { Body, Controller, Headers, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ProjectId, RequestId } from '@stagehook/platform';
import type { PositionView } from '../../persistence/views.js';
import { clientContext, CommandDto, IF_MATCH } from '../shared/item-command.dto.js';
import { ItemCommandHandler } from '../shared/item-command.handler.js';
import { CommandParams, STAGE_ACTION_COMMANDS } from './advance-item.dto.js';

/**
 * start (dataset), submit (annotate), approve / reject (review): one route. Registered after
 * move-item and set-stage (app.module.ts), whose literal paths this one's `:command` would match.
 */
@ApiTags('items in workflows')
@ApiBearerAuth()
@Controller('workflows/:id/items')
export class AdvanceItemController {
  constructor(private readonly handler: ItemCommandHandler) {}

  @Post(':itemId/:command')
  @HttpCode(200)
  @ApiHeader(IF_MATCH)
  // WIRE: the operation id the SDK is generated with (it was derived from the controller's old name).
  @ApiOperation({ operationId: 'ItemsController_command', summary: 'start (dataset), submit (annotate), approve / reject (review); 409 naming the stage elsewhere' })
  command(
    @ProjectId() projectId: string,
    @Param() params: CommandParams,
    @Body() body: CommandDto,
    @Headers('if-match') ifMatch?: string,
    @RequestId() requestId?: string,
  ): Promise<PositionView> {
    return this.handler.handle(projectId, params.id, params.itemId, { type: STAGE_ACTION_COMMANDS[params.command] }, clientContext(body, ifMatch, requestId));
  }
}
