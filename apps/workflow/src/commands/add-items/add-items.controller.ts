import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ProjectId, RequestId } from '@stagehook/platform';
import { WorkflowIdParams } from '../../params.dto.js';
import { AddItemsDto } from './add-items.dto.js';
import { AddItemsHandler } from './add-items.handler.js';

@ApiTags('items in workflows')
@ApiBearerAuth()
@Controller('workflows/:id/items')
export class AddItemsController {
  constructor(private readonly handler: AddItemsHandler) {}

  @Post()
  @HttpCode(200)
  // WIRE: the operation id the SDK is generated with (it was derived from the controller's old name).
  @ApiOperation({ operationId: 'ItemsController_add', summary: 'Add up to 1,000 items to the dataset stage; unknown items are a 422 listing them' })
  add(@ProjectId() projectId: string, @Param() params: WorkflowIdParams, @Body() body: AddItemsDto, @RequestId() requestId?: string) {
    return this.handler.handle(projectId, params.id, body.itemIds, { correlationId: requestId });
  }
}
