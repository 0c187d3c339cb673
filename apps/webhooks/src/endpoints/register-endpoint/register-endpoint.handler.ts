import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { EndpointSecrets } from '../endpoint-secrets.js';
import { EndpointRepository } from '../endpoint.repository.js';
import { EventTypeCatalogue } from '../../event-types/event-type-catalogue.js';
import { DEFAULT_TIMEOUT_MS, assertSubscribable, uniquePatterns } from '../endpoint-rules.js';
import type { CreateEndpointDto } from '../endpoint.dto.js';
import { toEndpointView, type EndpointView } from '../endpoint.view.js';
import { UrlGuard } from '../url-guard.js';

@Injectable()
export class RegisterEndpointHandler {
  constructor(
    private readonly repo: EndpointRepository,
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
        kind: 'register',
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
    const saved = await this.repo.findInProject(projectId, endpointId);
    if (!saved) throw new Error(`endpoint ${endpointId} missing from its projection right after registration`);
    return toEndpointView(saved, this.secrets, now);
  }
}
