import { Controller, Delete, HttpCode, Param } from '@nestjs/common';
import { ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ProjectId, RequestId } from '@stagehook/platform';
import { EndpointIdParam } from '../endpoint.dto.js';
import { EndpointRepository } from '../endpoint.repository.js';

@ApiTags('endpoints')
@Controller('endpoints')
export class DeleteEndpointController {
  constructor(private readonly repo: EndpointRepository) {}

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete the endpoint; stages still referencing it will fail their deliveries' })
  @ApiNoContentResponse()
  async delete(@ProjectId() projectId: string, @Param() p: EndpointIdParam, @RequestId() requestId?: string): Promise<void> {
    await this.repo.execute(p.id, { kind: 'delete', projectId, now: new Date() }, { projectId, requestId });
  }
}
