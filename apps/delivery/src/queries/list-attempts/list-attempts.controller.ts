import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ProjectId, foundInProject } from '@stagehook/platform';
import { OperationId } from '../../commands/shared/operation-id.js';
import { DeliveryIdParam } from '../../commands/shared/params.dto.js';
import { DeliveryReadRepository } from '../../persistence/delivery-read.repository.js';

@ApiTags('deliveries')
@ApiBearerAuth()
@Controller()
export class ListAttemptsController {
  constructor(private readonly deliveries: DeliveryReadRepository) {}

  @Get('deliveries/:id/attempts')
  @OperationId('DeliveriesController_attempts')
  async attempts(@ProjectId() projectId: string, @Param() p: DeliveryIdParam) {
    foundInProject(await this.deliveries.get(p.id), projectId, `delivery ${p.id}`);
    return { data: await this.deliveries.attempts(p.id) };
  }
}
