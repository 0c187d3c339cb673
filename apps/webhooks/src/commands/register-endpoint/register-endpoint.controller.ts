import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ProjectId, RequestId } from '@stagehook/platform';
import { EndpointView } from '../../queries/query-endpoints/endpoint.view.js';
import { CreateEndpointDto } from './register-endpoint.dto.js';
import { RegisterEndpointHandler } from './register-endpoint.handler.js';

@ApiTags('endpoints')
@Controller('endpoints')
export class RegisterEndpointController {
  constructor(private readonly handler: RegisterEndpointHandler) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Register an endpoint (422 when the URL is unsafe, 400 for unknown event types)' })
  @ApiCreatedResponse({ type: EndpointView })
  register(@ProjectId() projectId: string, @Body() dto: CreateEndpointDto, @RequestId() requestId?: string): Promise<EndpointView> {
    return this.handler.handle(projectId, dto, requestId);
  }
}
