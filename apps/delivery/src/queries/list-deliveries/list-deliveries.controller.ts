import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ProjectId } from '@stagehook/platform';
import { OperationId } from '../../commands/shared/operation-id.js';
import { DeliveryReadRepository } from '../../persistence/delivery-read.repository.js';
import { pageAnswer, pageQuery } from '../shared/cursor.js';
import { ListDeliveriesQuery } from './list-deliveries.dto.js';

@ApiTags('deliveries')
@ApiBearerAuth()
@Controller()
export class ListDeliveriesController {
  constructor(private readonly deliveries: DeliveryReadRepository) {}

  @Get('deliveries')
  @OperationId('DeliveriesController_list')
  async list(@ProjectId() projectId: string, @Query() q: ListDeliveriesQuery) {
    const page = pageQuery(projectId, q);
    return pageAnswer(await this.deliveries.list({ ...page, endpointId: q.endpointId, status: q.status }), page.limit);
  }
}
