import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Actor, ProjectId, RequestId, actorRefOrProject, type TokenActor } from '@stagehook/platform';
import { EndpointCommands } from '../endpoint-commands.js';
import { DisableEndpointDto, EndpointIdParam } from '../endpoint.dto.js';
import { EndpointView } from '../endpoint.view.js';

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
    return this.commands.run(projectId, p.id, { kind: 'disable', reason: dto.reason, by: actorRefOrProject(projectId, actor) }, requestId);
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
    return this.commands.run(projectId, p.id, { kind: 'enable', by: actorRefOrProject(projectId, actor) }, requestId);
  }
}
