import { Injectable } from '@nestjs/common';
import { NotFoundError } from '@stagehook/platform';
import type { EndpointCommand } from './endpoint.decider.js';
import { EndpointSecrets } from './endpoint-secrets.js';
import { EndpointRepository } from './endpoint.repository.js';
import { toEndpointView, type EndpointView } from './endpoint.view.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** A command on an existing endpoint, without what `run` fills in. */
export type ScopedCommand = DistributiveOmit<Exclude<EndpointCommand, { kind: 'register' }>, 'projectId' | 'now'>;

/** Runs a command on an existing endpoint and answers with its new view. */
@Injectable()
export class EndpointCommands {
  constructor(
    private readonly repo: EndpointRepository,
    private readonly secrets: EndpointSecrets,
  ) {}

  async run(projectId: string, endpointId: string, command: ScopedCommand, requestId?: string): Promise<EndpointView> {
    const now = new Date();
    await this.repo.execute(endpointId, { ...command, projectId, now }, { projectId, requestId });
    const found = await this.repo.findInProject(projectId, endpointId);
    if (!found) throw new NotFoundError(`endpoint ${endpointId} not found`);
    return toEndpointView(found, this.secrets, now);
  }
}
