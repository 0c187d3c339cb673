import { assertNever, WORKFLOW_DEFINITION_EVENT_TYPES, type EventData, type EventOf, type WorkflowDefinitionEventType } from '@stagehook/contracts';
import type { Decider } from '@stagehook/event-store';
import { ConflictError } from '@stagehook/platform/domain';
import { InvalidWorkflowError } from './errors.js';
import { type Stage, validateGraph } from './graph.js';

/** Plain data of a definition's events, as the contracts define it. */
export type DefinitionData = EventData<'workflow.definition.created'>;

export type DefinitionEvent = EventOf<WorkflowDefinitionEventType>;

export type DefinitionCommand =
  | { type: 'CreateDefinition'; workflowId: string; projectId: string; name: string; stages: Stage[]; now: Date; by?: string }
  | { type: 'UpdateDefinition'; name: string; stages: Stage[]; now: Date; by?: string };

export interface DefinitionState {
  workflowId?: string;
  projectId?: string;
  /** 0 before creation. */
  version: number;
  name?: string;
  /**
   * Every version's graph: items in flight finish on the version they started, so an older
   * version stays readable after an edit.
   */
  versions: ReadonlyMap<number, Stage[]>;
}

export const definitionDecider: Decider<DefinitionCommand, DefinitionEvent, DefinitionState> = {
  initialState: () => ({ version: 0, versions: new Map() }),
  eventTypes: WORKFLOW_DEFINITION_EVENT_TYPES,

  evolve(state, event) {
    switch (event.type) {
      case 'workflow.definition.created':
      case 'workflow.definition.updated': {
        const versions = new Map(state.versions);
        versions.set(event.data.version, event.data.stages);
        return { workflowId: event.data.workflowId, projectId: event.data.projectId, version: event.data.version, name: event.data.name, versions };
      }
      default:
        return assertNever(event);
    }
  },

  decide(command, state) {
    const problems = validateGraph(command.stages);
    if (problems.length > 0) throw new InvalidWorkflowError(problems);
    switch (command.type) {
      case 'CreateDefinition': {
        if (state.version > 0) throw new ConflictError(`workflow ${command.workflowId} already exists`);
        return [
          {
            type: 'workflow.definition.created',
            data: {
              workflowId: command.workflowId,
              projectId: command.projectId,
              version: 1,
              name: command.name,
              stages: command.stages,
              at: command.now.toISOString(),
              ...(command.by ? { by: command.by } : {}),
            },
          },
        ];
      }
      case 'UpdateDefinition': {
        if (state.version === 0 || !state.workflowId || !state.projectId) throw new ConflictError('the workflow does not exist');
        return [
          {
            type: 'workflow.definition.updated',
            data: {
              workflowId: state.workflowId,
              projectId: state.projectId,
              version: state.version + 1,
              name: command.name,
              stages: command.stages,
              at: command.now.toISOString(),
              ...(command.by ? { by: command.by } : {}),
            },
          },
        ];
      }
      default:
        return assertNever(command);
    }
  },
};
