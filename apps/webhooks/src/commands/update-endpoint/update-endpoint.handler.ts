import { Injectable } from '@nestjs/common';
import { NotFoundError } from '@stagehook/platform';
import { EndpointSecrets } from '../../adapters/endpoint-secrets.js';
import { UrlGuard } from '../../adapters/url-guard.js';
import type { EndpointSettings } from '../../domain/endpoint.decider.js';
import { assertSubscribable, uniquePatterns } from '../../domain/endpoint-rules.js';
import { EndpointQueryRepository } from '../../persistence/endpoint.query-repository.js';
import type { EndpointView } from '../../queries/query-endpoints/endpoint.view.js';
import { EventTypeCatalogue } from '../../queries/query-event-types/event-type-catalogue.js';
import { EndpointCommands } from '../shared/endpoint-commands.js';
import type { UpdateEndpointDto } from './update-endpoint.dto.js';

@Injectable()
export class UpdateEndpointHandler {
  constructor(
    private readonly commands: EndpointCommands,
    private readonly repo: EndpointQueryRepository,
    private readonly secrets: EndpointSecrets,
    private readonly urls: UrlGuard,
    private readonly catalogue: EventTypeCatalogue,
  ) {}

  async handle(projectId: string, endpointId: string, dto: UpdateEndpointDto, requestId?: string): Promise<EndpointView> {
    const changes: Partial<EndpointSettings> = {};
    // The current endpoint, read once for the rules that depend on it (subscriptions, headers).
    let current: Awaited<ReturnType<EndpointQueryRepository['findInProject']>> | undefined;
    const currentEndpoint = async () => {
      current ??= await this.repo.findInProject(projectId, endpointId);
      if (!current) throw new NotFoundError(`endpoint ${endpointId} not found`);
      return current.endpoint;
    };
    if (dto.name !== undefined) changes.name = dto.name;
    if (dto.description !== undefined) changes.description = dto.description;
    if (dto.url !== undefined) {
      changes.url = await this.urls.assertSafe(dto.url);
    }
    if (dto.eventTypes !== undefined) {
      changes.eventTypes = uniquePatterns(dto.eventTypes);
      assertSubscribable(changes.eventTypes, await this.catalogue.subscribable(projectId), (await currentEndpoint()).eventTypes);
    }
    if (dto.filters !== undefined) changes.filters = { ...dto.filters };
    if (dto.includeAnnotations !== undefined) changes.includeAnnotations = dto.includeAnnotations;
    if (dto.payloadFormat !== undefined) changes.payloadFormat = dto.payloadFormat;
    if (dto.timeoutMs !== undefined) changes.timeoutMs = dto.timeoutMs;
    if (dto.retryPolicy !== undefined) changes.retryPolicy = dto.retryPolicy ? { ...dto.retryPolicy } : null;
    if (dto.headers !== undefined) {
      changes.headers = this.secrets.sealHeaders(endpointId, dto.headers, (await currentEndpoint()).headers);
    }
    const authorization = dto.authorization === undefined ? undefined : dto.authorization === null ? null : this.secrets.seal(dto.authorization, endpointId, 'authorization');
    return this.commands.run(projectId, endpointId, { type: 'UpdateEndpoint', changes, ...(authorization !== undefined ? { authorization } : {}) }, requestId);
  }
}
