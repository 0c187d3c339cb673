import { Injectable } from '@nestjs/common';
import { NotFoundError } from '@stagehook/platform';
import { EndpointSecrets } from '../../adapters/endpoint-secrets.js';
import type { EndpointCommand } from '../../domain/endpoint.decider.js';
import { EndpointQueryRepository } from '../../persistence/endpoint.query-repository.js';
import { EndpointRepository } from '../../persistence/endpoint.repository.js';
import { toEndpointView, type EndpointView } from '../../queries/query-endpoints/endpoint.view.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** A command on an existing endpoint, without what `run` fills in. */
export type ScopedCommand = DistributiveOmit<Exclude<EndpointCommand, { type: 'RegisterEndpoint' }>, 'projectId' | 'now'>;

/** Runs a command on an existing endpoint and answers with its new view (the use cases that need no more). */
@Injectable()
export class EndpointCommands {
  constructor(
    private readonly repo: EndpointRepository,
    private readonly endpoints: EndpointQueryRepository,
    private readonly secrets: EndpointSecrets,
  ) {}

  async run(projectId: string, endpointId: string, command: ScopedCommand, requestId?: string): Promise<EndpointView> {
    const now = new Date();
    await this.repo.execute(endpointId, { ...command, projectId, now }, { projectId, requestId });
    const found = await this.endpoints.findInProject(projectId, endpointId);
    if (!found) throw new NotFoundError(`endpoint ${endpointId} not found`);
    return toEndpointView(found, this.secrets, now);
  }
}
