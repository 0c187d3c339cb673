import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { EventStore, handleCommand } from '@stagehook/event-store';
import { ConflictError, foundInProject } from '@stagehook/platform';
import { definitionDecider } from '../domain/definition.decider.js';
import { InvalidWorkflowError } from '../domain/errors.js';
import { boundDataset, type ResolvedEndpoint, type Stage, type StageInput, releasedEndpoints, templateStages, toGraph, validateGraph } from '../domain/graph.js';
import { conflictsAs409 } from '../items/item-commands.service.js';
import { KnownEndpoints } from '../shared/known-endpoints.js';
import { DefinitionsRepository, type DefinitionView } from '../shared/repositories.js';
import { fresh, StageEndpoints } from './stage-endpoints.js';

export const definitionStreamId = (workflowId: string) => `workflow-${workflowId}`;

@Injectable()
export class DefinitionsService {
  constructor(
    private readonly store: EventStore,
    private readonly definitions: DefinitionsRepository,
    private readonly endpoints: KnownEndpoints,
    private readonly stageEndpoints: StageEndpoints,
  ) {}

  /**
   * The graph as it will be saved: stages holding their own url get their managed endpoint's id.
   * Everything that can refuse the save is checked first (the graph, the endpoints it names), so
   * a refused save leaves no endpoint behind in the registry.
   */
  private async prepare(projectId: string, workflowId: string, stages: readonly StageInput[], before: Stage[] = []): Promise<{ graph: Stage[]; fresh: string[] }> {
    const pending: ResolvedEndpoint = { endpointId: 'pending', managed: { url: '', authorizationHeaderSet: false } };
    const draft = toGraph(stages, new Map(stages.filter((s) => s.webhook?.url !== undefined).map((s) => [s.id, pending])));
    const problems = validateGraph(draft);
    if (problems.length > 0) throw new InvalidWorkflowError(problems);
    await this.endpoints.assertKnown(
      projectId,
      draft.filter((s) => !s.webhook?.managed),
    );
    const resolved = await this.stageEndpoints.resolve(projectId, workflowId, stages, before);
    return { graph: toGraph(stages, resolved), fresh: fresh(before, resolved) };
  }

  /** Appends; if that fails (a concurrent edit), the endpoints made for this save are released. */
  private async saving<T>(projectId: string, fresh: string[], append: () => Promise<T>): Promise<T> {
    try {
      return await append();
    } catch (err) {
      await this.stageEndpoints.release(projectId, fresh);
      throw err;
    }
  }

  async create(projectId: string, name: string, input: readonly StageInput[], by?: string): Promise<DefinitionView> {
    const workflowId = randomUUID();
    const { graph: stages, fresh: made } = await this.prepare(projectId, workflowId, input);
    await this.saving(projectId, made, async () => {
      await this.assertDatasetFree(projectId, workflowId, stages);
      return datasetTakenAs409(() =>
        handleCommand(
          this.store,
          definitionStreamId(workflowId),
          definitionDecider,
          { type: 'CreateDefinition', workflowId, projectId, name, stages, now: new Date(), ...(by ? { by } : {}) },
          { metadata: { source: 'workflow', projectId }, streamType: 'workflow' },
        ),
      );
    });
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
  async update(projectId: string, workflowId: string, name: string, input: readonly StageInput[], expectedVersion?: number, by?: string): Promise<DefinitionView> {
    const before = (await this.get(projectId, workflowId)).stages;
    const { graph: stages, fresh: made } = await this.prepare(projectId, workflowId, input, before);
    await this.saving(projectId, made, async () => {
      await this.assertDatasetFree(projectId, workflowId, stages);
      return datasetTakenAs409(() =>
        conflictsAs409(() =>
          handleCommand(
            this.store,
            definitionStreamId(workflowId),
            definitionDecider,
            { type: 'UpdateDefinition', name, stages, now: new Date(), ...(by ? { by } : {}) },
            { metadata: { source: 'workflow', projectId }, streamType: 'workflow', ...(expectedVersion !== undefined ? { expectedVersion } : {}) },
          ),
        ),
      );
    });
    await this.stageEndpoints.release(projectId, releasedEndpoints(before, stages));
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
