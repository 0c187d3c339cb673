import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { NotFoundError, ProjectId } from '@stagehook/platform';
import { EndpointSecrets } from '../../adapters/endpoint-secrets.js';
import { EndpointQueryRepository } from '../../persistence/endpoint.query-repository.js';
import { EndpointListView, EndpointView, toEndpointView } from './endpoint.view.js';
import { EndpointIdParam, ListEndpointsQuery } from './query-endpoints.dto.js';

@ApiTags('endpoints')
@Controller('endpoints')
export class QueryEndpointsController {
  constructor(
    private readonly repo: EndpointQueryRepository,
    private readonly secrets: EndpointSecrets,
  ) {}

  @Get()
  @ApiOperation({ summary: "List the project's endpoints, oldest first (secrets masked)" })
  @ApiOkResponse({ type: EndpointListView })
  async list(@ProjectId() projectId: string, @Query() q: ListEndpointsQuery): Promise<EndpointListView> {
    const limit = q.limit ?? 50;
    const rows = await this.repo.listInProject(projectId, { limit, after: q.after });
    const now = new Date();
    return {
      endpoints: rows.map((r) => toEndpointView(r, this.secrets, now)),
      next: rows.length === limit ? rows[rows.length - 1].endpoint.endpointId : null,
    };
  }

  @Get(':id')
  @ApiOperation({ summary: 'One endpoint (secrets masked)' })
  @ApiOkResponse({ type: EndpointView })
  async get(@ProjectId() projectId: string, @Param() p: EndpointIdParam): Promise<EndpointView> {
    const found = await this.repo.findInProject(projectId, p.id);
    if (!found) throw new NotFoundError(`endpoint ${p.id} not found`);
    return toEndpointView(found, this.secrets, new Date());
  }
}
