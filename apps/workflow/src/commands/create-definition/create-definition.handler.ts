import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { EventStore, handleCommand } from '@stagehook/event-store';
import { definitionDecider } from '../../domain/definition.decider.js';
import type { StageInput } from '../../domain/graph.js';
import { DefinitionsRepository } from '../../persistence/definitions.repository.js';
import type { DefinitionView } from '../../persistence/views.js';
import { DefinitionSave, datasetTakenAs409, definitionStreamId } from '../shared/definition-save.js';

/**
 * CreateDefinition: a new workflow at version 1. Also what the template (create-from-template)
 * and the V7 import (import-v7-workflow) run once they have made their stages.
 */
@Injectable()
export class CreateDefinitionHandler {
  constructor(
    private readonly store: EventStore,
    private readonly definitions: DefinitionsRepository,
    private readonly save: DefinitionSave,
  ) {}

  async handle(projectId: string, name: string, input: readonly StageInput[], by?: string): Promise<DefinitionView> {
    const workflowId = randomUUID();
    const { graph: stages, fresh: made } = await this.save.prepare(projectId, workflowId, input);
    await this.save.saving(projectId, made, async () => {
      await this.save.assertDatasetFree(projectId, workflowId, stages);
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
    return this.definitions.getInProject(projectId, workflowId);
  }
}
