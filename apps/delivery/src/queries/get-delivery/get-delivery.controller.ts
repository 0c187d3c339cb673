import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ProjectId, foundInProject } from '@stagehook/platform';
import { OperationId } from '../../commands/shared/operation-id.js';
import { DeliveryIdParam } from '../../commands/shared/params.dto.js';
import { DeliveryReadRepository } from '../../persistence/delivery-read.repository.js';

@ApiTags('deliveries')
@ApiBearerAuth()
@Controller()
export class GetDeliveryController {
  constructor(private readonly deliveries: DeliveryReadRepository) {}

  @Get('deliveries/:id')
  @OperationId('DeliveriesController_get')
  async get(@ProjectId() projectId: string, @Param() p: DeliveryIdParam) {
    const { cursor: _c, ...d } = foundInProject(await this.deliveries.get(p.id), projectId, `delivery ${p.id}`);
    return d;
  }
}
