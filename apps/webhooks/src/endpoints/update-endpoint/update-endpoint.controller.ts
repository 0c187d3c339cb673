import { Body, Controller, Param, Patch } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ProjectId, RequestId } from '@stagehook/platform';
import { EndpointIdParam, UpdateEndpointDto } from '../endpoint.dto.js';
import { EndpointView } from '../endpoint.view.js';
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
