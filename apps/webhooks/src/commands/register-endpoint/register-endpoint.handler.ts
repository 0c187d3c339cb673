import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { EndpointSecrets } from '../../adapters/endpoint-secrets.js';
import { UrlGuard } from '../../adapters/url-guard.js';
import { DEFAULT_TIMEOUT_MS, assertSubscribable, uniquePatterns } from '../../domain/endpoint-rules.js';
import { EndpointQueryRepository } from '../../persistence/endpoint.query-repository.js';
import { EndpointRepository } from '../../persistence/endpoint.repository.js';
import { toEndpointView, type EndpointView } from '../../queries/query-endpoints/endpoint.view.js';
import { EventTypeCatalogue } from '../../queries/query-event-types/event-type-catalogue.js';
import type { CreateEndpointDto } from './register-endpoint.dto.js';

@Injectable()
export class RegisterEndpointHandler {
  constructor(
    private readonly repo: EndpointRepository,
    private readonly endpoints: EndpointQueryRepository,
    private readonly secrets: EndpointSecrets,
    private readonly urls: UrlGuard,
    private readonly catalogue: EventTypeCatalogue,
  ) {}

  async handle(projectId: string, dto: CreateEndpointDto, requestId?: string): Promise<EndpointView> {
    const eventTypes = uniquePatterns(dto.eventTypes ?? []);
    assertSubscribable(eventTypes, await this.catalogue.subscribable(projectId));
    const url = await this.urls.assertSafe(dto.url);
    const endpointId = randomUUID();
    const now = new Date();
    await this.repo.execute(
      endpointId,
      {
        type: 'RegisterEndpoint',
        endpointId,
        projectId,
        settings: {
          name: dto.name,
          ...(dto.description !== undefined ? { description: dto.description } : {}),
          url,
          eventTypes,
          filters: { ...(dto.filters ?? {}) },
          includeAnnotations: dto.includeAnnotations ?? true,
          payloadFormat: dto.payloadFormat ?? 'standard',
          timeoutMs: dto.timeoutMs ?? DEFAULT_TIMEOUT_MS,
          retryPolicy: dto.retryPolicy ? { ...dto.retryPolicy } : null,
          headers: this.secrets.sealHeaders(endpointId, dto.headers ?? []),
        },
        authorization: dto.authorization ? this.secrets.seal(dto.authorization, endpointId, 'authorization') : null,
        signingSecret: this.secrets.newSigningSecret(endpointId),
        now,
      },
      { projectId, requestId },
    );
    const saved = await this.endpoints.findInProject(projectId, endpointId);
    if (!saved) throw new Error(`endpoint ${endpointId} missing from its projection right after registration`);
    return toEndpointView(saved, this.secrets, now);
  }
}
