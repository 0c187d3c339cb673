import { Injectable } from '@nestjs/common';
import { templateStages } from '../../domain/graph.js';
import type { DefinitionView } from '../../persistence/views.js';
import { CreateDefinitionHandler } from '../create-definition/create-definition.handler.js';

/** The seed video's workflow in one call: CreateDefinition with the template's stages. */
@Injectable()
export class CreateFromTemplateHandler {
  constructor(private readonly create: CreateDefinitionHandler) {}

  handle(projectId: string, opts: { name?: string; endpointId: string; maxAttempts?: number; includeAnnotations?: boolean }): Promise<DefinitionView> {
    return this.create.handle(projectId, opts.name ?? 'Annotate, webhook, review', templateStages(opts));
  }
}
