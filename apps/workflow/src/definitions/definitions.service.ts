import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { EventStore, handleCommand } from '@stagehook/event-store';
import { ConflictError, foundInProject } from '@stagehook/platform';
import { definitionDecider } from '../domain/definition.decider.js';
import { boundDataset, type Stage, templateStages } from '../domain/graph.js';
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
    await this.assertDatasetFree(projectId, workflowId, stages);
    await datasetTakenAs409(() => handleCommand(
      this.store,
      definitionStreamId(workflowId),
      definitionDecider,
      { type: 'create', workflowId, projectId, name, stages, now: new Date(), ...(by ? { by } : {}) },
      { metadata: { source: 'workflow', projectId }, streamType: 'workflow' },
    ));
    return this.get(projectId, workflowId);
  }

  /**
   * A dataset feeds at most one workflow (V7): naming one another workflow is bound to is a 409
   * naming that workflow. The binding table's primary key holds the rule when two saves race.
   */
  private async assertDatasetFree(projectId: string, workflowId: string, stages: Stage[]): Promise<void> {
    const datasetId = boundDataset(stages);
    if (datasetId === undefined) return;
    const bound = await this.definitions.boundTo(projectId, datasetId);
    if (bound && bound.workflowId !== workflowId) {
      const other = await this.definitions.find(bound.workflowId);
      throw new ConflictError(`dataset ${datasetId} already feeds workflow ${bound.workflowId}${other ? ` ('${other.name}')` : ''}; unbind it there first`, {
        datasetId,
        workflowId: bound.workflowId,
      });
    }
  }

  /** The seed video's workflow in one call. */
  async createTemplate(projectId: string, opts: { name?: string; endpointId: string; maxAttempts?: number; includeAnnotations?: boolean }): Promise<DefinitionView> {
    return this.create(projectId, opts.name ?? 'Annotate, webhook, review', templateStages(opts));
  }

  /** A new version; items in flight keep the version they started on. */
  async update(projectId: string, workflowId: string, name: string, stages: Stage[], expectedVersion?: number, by?: string): Promise<DefinitionView> {
    await this.get(projectId, workflowId);
    await this.endpoints.assertKnown(projectId, stages);
    await this.assertDatasetFree(projectId, workflowId, stages);
    await datasetTakenAs409(() => conflictsAs409(() =>
      handleCommand(
        this.store,
        definitionStreamId(workflowId),
        definitionDecider,
        { type: 'update', name, stages, now: new Date(), ...(by ? { by } : {}) },
        { metadata: { source: 'workflow', projectId }, streamType: 'workflow', ...(expectedVersion !== undefined ? { expectedVersion } : {}) },
      ),
    ));
    return this.get(projectId, workflowId);
  }

  async get(projectId: string, workflowId: string, version?: number): Promise<DefinitionView> {
    return foundInProject(await this.definitions.find(workflowId, version), projectId, `workflow ${workflowId}${version ? ` version ${version}` : ''}`);
  }

  list(projectId: string): Promise<DefinitionView[]> {
    return this.definitions.list(projectId);
  }
}

/** Two saves raced for one dataset: the binding's primary key refused the second. */
async function datasetTakenAs409<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const e = err as { code?: string; constraint?: string; driverError?: { code?: string; constraint?: string } };
    const pg = e.driverError ?? e;
    if (pg.code === '23505' && pg.constraint === 'wf_dataset_bindings_pkey') throw new ConflictError('the dataset was bound to another workflow meanwhile; reload and retry');
    throw err;
  }
}
