import { Injectable } from '@nestjs/common';
import { EventStore, handleCommand } from '@stagehook/event-store';
import { definitionDecider } from '../../domain/definition.decider.js';
import { releasedEndpoints, type StageInput } from '../../domain/graph.js';
import { DefinitionsRepository } from '../../persistence/definitions.repository.js';
import type { DefinitionView } from '../../persistence/views.js';
import { conflictsAs409 } from '../shared/conflicts.js';
import { DefinitionSave, datasetTakenAs409, definitionStreamId } from '../shared/definition-save.js';

/** UpdateDefinition: a new version; items in flight keep the version they started on. */
@Injectable()
export class UpdateDefinitionHandler {
  constructor(
    private readonly store: EventStore,
    private readonly definitions: DefinitionsRepository,
    private readonly save: DefinitionSave,
  ) {}

  async handle(projectId: string, workflowId: string, name: string, input: readonly StageInput[], expectedVersion?: number, by?: string): Promise<DefinitionView> {
    const before = (await this.definitions.getInProject(projectId, workflowId)).stages;
    const { graph: stages, fresh: made } = await this.save.prepare(projectId, workflowId, input, before);
    await this.save.saving(projectId, made, async () => {
      await this.save.assertDatasetFree(projectId, workflowId, stages);
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
    await this.save.release(projectId, releasedEndpoints(before, stages));
    return this.definitions.getInProject(projectId, workflowId);
  }
}
