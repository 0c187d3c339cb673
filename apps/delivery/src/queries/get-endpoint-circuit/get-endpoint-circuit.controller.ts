import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ProjectId } from '@stagehook/platform';
import { OperationId } from '../../commands/shared/operation-id.js';
import { DispatcherHost } from '../../commands/attempt-delivery/dispatcher.host.js';
import { EndpointIdParam } from '../../commands/shared/params.dto.js';
import { EndpointNotFoundError } from '../../domain/errors.js';
import { EndpointReadRepository } from '../../persistence/endpoint-read.repository.js';

@ApiTags('deliveries')
@ApiBearerAuth()
@Controller()
export class GetEndpointCircuitController {
  constructor(
    private readonly endpoints: EndpointReadRepository,
    private readonly host: DispatcherHost,
  ) {}

  @Get('endpoints/:id/circuit')
  @OperationId('DeliveriesController_circuit')
  async circuit(@ProjectId() projectId: string, @Param() p: EndpointIdParam) {
    const ep = await this.endpoints.get(p.id);
    if (!ep || ep.projectId !== projectId) throw new EndpointNotFoundError(p.id);
    return {
      endpointId: p.id,
      // Per process: each replica has its own breaker; this is the answering replica's view.
      state: this.host.breakers.state(p.id),
      disabled: ep.disabledAt !== null,
      disabledAt: ep.disabledAt,
      disabledReason: ep.disabledReason,
      failingSince: ep.failingSince,
      lastSuccessAt: ep.lastSuccessAt,
    };
  }
}
