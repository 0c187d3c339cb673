import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { EventStore, handleCommand } from '@stagehook/event-store';
import { foundInProject } from '@stagehook/platform';
import { definitionDecider } from '../domain/definition.decider.js';
import { type Stage, templateStages } from '../domain/graph.js';
import { conflictsAs409 } from '../items/item-commands.service.js';
import { KnownEndpoints } from '../shared/known-endpoints.js';
import { DefinitionsRepository, type DefinitionView } from '../shared/repositories.js';

export const definitionStreamId = (workflowId: string) => `workflow-${workflowId}`;

@Injectable()
export class DefinitionsService {
  constructor(
    private readonly store: EventStore,
    private readonly definitions: DefinitionsRepository,
    private readonly endpoints: KnownEndpoints,
  ) {}

  async create(projectId: string, name: string, stages: Stage[], by?: string): Promise<DefinitionView> {
    await this.endpoints.assertKnown(projectId, stages);
    const workflowId = randomUUID();
    await handleCommand(
      this.store,
      definitionStreamId(workflowId),
      definitionDecider,
      { type: 'create', workflowId, projectId, name, stages, now: new Date(), ...(by ? { by } : {}) },
      { metadata: { source: 'workflow', projectId }, streamType: 'workflow' },
    );
    return this.get(projectId, workflowId);
  }

  /** The seed video's workflow in one call. */
  async createTemplate(projectId: string, opts: { name?: string; endpointId: string; maxAttempts?: number; includeAnnotations?: boolean }): Promise<DefinitionView> {
    return this.create(projectId, opts.name ?? 'Annotate, webhook, review', templateStages(opts));
  }

  /** A new version; items in flight keep the version they started on. */
  async update(projectId: string, workflowId: string, name: string, stages: Stage[], expectedVersion?: number, by?: string): Promise<DefinitionView> {
    await this.get(projectId, workflowId);
    await this.endpoints.assertKnown(projectId, stages);
    await conflictsAs409(() =>
      handleCommand(
        this.store,
        definitionStreamId(workflowId),
        definitionDecider,
        { type: 'update', name, stages, now: new Date(), ...(by ? { by } : {}) },
        { metadata: { source: 'workflow', projectId }, streamType: 'workflow', ...(expectedVersion !== undefined ? { expectedVersion } : {}) },
      ),
    );
    return this.get(projectId, workflowId);
  }

  async get(projectId: string, workflowId: string, version?: number): Promise<DefinitionView> {
    return foundInProject(await this.definitions.find(workflowId, version), projectId, `workflow ${workflowId}${version ? ` version ${version}` : ''}`);
  }

  list(projectId: string): Promise<DefinitionView[]> {
    return this.definitions.list(projectId);
  }
}
