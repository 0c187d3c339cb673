import { Injectable } from '@nestjs/common';
import { ConflictError } from '@stagehook/platform';
import { KnownEndpoints } from '../../adapters/known-endpoints.js';
import { fresh, StageEndpoints } from '../../adapters/stage-endpoints.js';
import { InvalidWorkflowError } from '../../domain/errors.js';
import { boundDataset, type ResolvedEndpoint, type Stage, type StageInput, toGraph, validateGraph } from '../../domain/graph.js';
import { DefinitionsRepository } from '../../persistence/definitions.repository.js';

export const definitionStreamId = (workflowId: string) => `workflow-${workflowId}`;

/**
 * What saving a definition takes besides the decider, for every command that saves one
 * (create-definition, update-definition, and through create, the template and the V7 import).
 */
@Injectable()
export class DefinitionSave {
  constructor(
    private readonly definitions: DefinitionsRepository,
    private readonly endpoints: KnownEndpoints,
    private readonly stageEndpoints: StageEndpoints,
  ) {}

  /**
   * The graph as it will be saved: stages holding their own url get their managed endpoint's id.
   * Everything that can refuse the save is checked first (the graph, the endpoints it names), so
   * a refused save leaves no endpoint behind in the registry.
   */
  async prepare(projectId: string, workflowId: string, stages: readonly StageInput[], before: Stage[] = []): Promise<{ graph: Stage[]; fresh: string[] }> {
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
  async saving<T>(projectId: string, fresh: string[], append: () => Promise<T>): Promise<T> {
    try {
      return await append();
    } catch (err) {
      await this.stageEndpoints.release(projectId, fresh);
      throw err;
    }
  }

  /** After a save: endpoints of stages that are gone are released. */
  release(projectId: string, endpointIds: readonly string[]): Promise<void> {
    return this.stageEndpoints.release(projectId, endpointIds);
  }

  /**
   * A dataset feeds at most one workflow (V7): naming one another workflow is bound to is a 409
   * naming that workflow. The binding table's primary key holds the rule when two saves race.
   */
  async assertDatasetFree(projectId: string, workflowId: string, stages: Stage[]): Promise<void> {
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
}

/** Two saves raced for one dataset: the binding's primary key refused the second. */
export async function datasetTakenAs409<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const e = err as { code?: string; constraint?: string; driverError?: { code?: string; constraint?: string } };
    const pg = e.driverError ?? e;
    if (pg.code === '23505' && pg.constraint === 'wf_dataset_bindings_pkey') throw new ConflictError('the dataset was bound to another workflow meanwhile; reload and retry');
    throw err;
  }
}
