import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ProjectId } from '@stagehook/platform';
import { OperationId } from '../shared/operation-id.js';
import { EndpointIdParam } from '../shared/params.dto.js';
import { RecoverBody } from './recover-endpoint.dto.js';
import { RecoverEndpointHandler } from './recover-endpoint.handler.js';

@ApiTags('deliveries')
@ApiBearerAuth()
@Controller()
export class RecoverEndpointController {
  constructor(private readonly handler: RecoverEndpointHandler) {}

  @Post('endpoints/:id/recover')
  @HttpCode(202)
  @OperationId('DeliveriesController_recover')
  async recover(@ProjectId() projectId: string, @Param() p: EndpointIdParam, @Body() body: RecoverBody) {
    const queued = await this.handler.handle(projectId, p.id, new Date(body.since));
    return { endpointId: p.id, queued };
  }
}
