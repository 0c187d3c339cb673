import { Controller, Delete, HttpCode, Param } from '@nestjs/common';
import { ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ProjectId, RequestId } from '@stagehook/platform';
import { EndpointRepository } from '../../persistence/endpoint.repository.js';
import { EndpointIdParam } from '../../queries/query-endpoints/query-endpoints.dto.js';

@ApiTags('endpoints')
@Controller('endpoints')
export class DeleteEndpointController {
  constructor(private readonly repo: EndpointRepository) {}

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete the endpoint; stages still referencing it will fail their deliveries' })
  @ApiNoContentResponse()
  async delete(@ProjectId() projectId: string, @Param() p: EndpointIdParam, @RequestId() requestId?: string): Promise<void> {
    await this.repo.execute(p.id, { type: 'DeleteEndpoint', projectId, now: new Date() }, { projectId, requestId });
  }
}
