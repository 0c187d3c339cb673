import { Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ProjectId } from '@stagehook/platform';
import { OperationId } from '../shared/operation-id.js';
import { DeliveryIdParam } from '../shared/params.dto.js';
import { RedeliverHandler } from './redeliver.handler.js';

@ApiTags('deliveries')
@ApiBearerAuth()
@Controller()
export class RedeliverController {
  constructor(private readonly handler: RedeliverHandler) {}

  /** One more attempt now, no follow-on retries (Svix's resend). */
  @Post('deliveries/:id/redeliver')
  @HttpCode(202)
  @OperationId('DeliveriesController_redeliver')
  async redeliver(@ProjectId() projectId: string, @Param() p: DeliveryIdParam) {
    await this.handler.handle(projectId, p.id);
    return { id: p.id, status: 'pending' };
  }
}
