import { Body, Controller, Param, Patch } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ProjectId, RequestId } from '@stagehook/platform';
import { EndpointView } from '../../queries/query-endpoints/endpoint.view.js';
import { EndpointIdParam } from '../../queries/query-endpoints/query-endpoints.dto.js';
import { UpdateEndpointDto } from './update-endpoint.dto.js';
import { UpdateEndpointHandler } from './update-endpoint.handler.js';

@ApiTags('endpoints')
@Controller('endpoints')
export class UpdateEndpointController {
  constructor(private readonly handler: UpdateEndpointHandler) {}

  @Patch(':id')
  @ApiOperation({ summary: 'Change settings; `authorization: null` removes the header' })
  @ApiOkResponse({ type: EndpointView })
  update(@ProjectId() projectId: string, @Param() p: EndpointIdParam, @Body() dto: UpdateEndpointDto, @RequestId() requestId?: string): Promise<EndpointView> {
    return this.handler.handle(projectId, p.id, dto, requestId);
  }
}
