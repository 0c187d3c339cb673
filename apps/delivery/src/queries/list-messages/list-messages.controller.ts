import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ProjectId } from '@stagehook/platform';
import { OperationId } from '../../commands/shared/operation-id.js';
import { DeliveryReadRepository } from '../../persistence/delivery-read.repository.js';
import { pageAnswer, pageQuery } from '../shared/cursor.js';
import { ListMessagesQuery } from './list-messages.dto.js';

@ApiTags('deliveries')
@ApiBearerAuth()
@Controller()
export class ListMessagesController {
  constructor(private readonly deliveries: DeliveryReadRepository) {}

  @Get('messages')
  @OperationId('DeliveriesController_messages')
  async messages(@ProjectId() projectId: string, @Query() q: ListMessagesQuery) {
    const page = pageQuery(projectId, q);
    return pageAnswer(await this.deliveries.listMessages(page), page.limit);
  }
}
