import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Actor, ProjectId, RequestId, actorRefOrProject, type TokenActor } from '@stagehook/platform';
import { EndpointView } from '../../queries/query-endpoints/endpoint.view.js';
import { EndpointIdParam } from '../../queries/query-endpoints/query-endpoints.dto.js';
import { EndpointCommands } from '../shared/endpoint-commands.js';
import { DisableEndpointDto } from './change-status.dto.js';

/** Disabled endpoints receive nothing until enabled; repeating either is a no-op. */
@ApiTags('endpoints')
@Controller('endpoints')
export class ChangeStatusController {
  constructor(private readonly commands: EndpointCommands) {}

  @Post(':id/disable')
  @HttpCode(200)
  @ApiOperation({ summary: 'Stop deliveries to the endpoint, with a reason' })
  @ApiOkResponse({ type: EndpointView })
  disable(
    @ProjectId() projectId: string,
    @Param() p: EndpointIdParam,
    @Body() dto: DisableEndpointDto,
    @Actor() actor: TokenActor | undefined,
    @RequestId() requestId?: string,
  ): Promise<EndpointView> {
    return this.commands.run(projectId, p.id, { type: 'DisableEndpoint', reason: dto.reason, by: actorRefOrProject(projectId, actor) }, requestId);
  }

  @Post(':id/enable')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Resume deliveries to the endpoint',
    description:
      'The one enable path: also for an endpoint delivery disabled on its own (disabledBy `service:delivery`), which then sends again and replays the deliveries that failed because it was disabled.',
  })
  @ApiOkResponse({ type: EndpointView })
  enable(@ProjectId() projectId: string, @Param() p: EndpointIdParam, @Actor() actor: TokenActor | undefined, @RequestId() requestId?: string): Promise<EndpointView> {
    return this.commands.run(projectId, p.id, { type: 'EnableEndpoint', by: actorRefOrProject(projectId, actor) }, requestId);
  }
}
