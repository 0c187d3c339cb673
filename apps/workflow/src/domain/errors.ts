import { DomainError } from '@stagehook/platform/domain';
import type { StageType } from '@stagehook/contracts';

/**
 * The workflow service's error codes; `workflowErrorStatuses` (src/errors.ts) maps each to its HTTP
 * status in one place. WIRE NAMES: clients branch on these strings.
 */
export const WorkflowErrorCode = {
  INVALID_WORKFLOW: 'invalid_workflow',
  STAGE_NOT_ALLOWED: 'stage_not_allowed',
  ALREADY_IN_WORKFLOW: 'already_in_workflow',
  ITEM_NOT_IN_WORKFLOW: 'item_not_in_workflow',
  UNKNOWN_ITEMS: 'unknown_items',
  ITEMS_UNAVAILABLE: 'items_unavailable',
  WEBHOOKS_UNAVAILABLE: 'webhooks_unavailable',
  STALE_VISIT: 'stale_visit',
  STAGE_NOT_FOUND: 'stage_not_found',
  NOT_A_WEBHOOK_STAGE: 'not_a_webhook_stage',
  DELIVERY_UNAVAILABLE: 'delivery_unavailable',
  ITEM_NOT_FOUND: 'item_not_found',
} as const;

/** Every problem of a graph at once, so a client fixes them in one round. */
export class InvalidWorkflowError extends DomainError {
  constructor(readonly problems: string[]) {
    super(WorkflowErrorCode.INVALID_WORKFLOW, `invalid workflow: ${problems.join('; ')}`, { problems });
  }
}

/** A command the item's current stage does not accept; the message names the stage. */
export class StageNotAllowedError extends DomainError {
  constructor(command: string, stage: { id: string; name: string; type: StageType } | undefined) {
    super(
      WorkflowErrorCode.STAGE_NOT_ALLOWED,
      stage ? `${command} is not allowed in stage '${stage.name}' (${stage.type})` : `${command} is not allowed: the item has completed the workflow`,
      stage ? { stageId: stage.id, stageName: stage.name, stageType: stage.type } : { stage: null },
    );
  }
}

export class AlreadyInWorkflowError extends DomainError {
  constructor(itemId: string) {
    super(WorkflowErrorCode.ALREADY_IN_WORKFLOW, `item ${itemId} is already in this workflow`, { itemId });
  }
}

export class ItemNotInWorkflowError extends DomainError {
  constructor(itemId: string) {
    super(WorkflowErrorCode.ITEM_NOT_IN_WORKFLOW, `item ${itemId} not found in this workflow`, { itemId });
  }
}

/** The client acted on a visit that is no longer current (someone moved the item first). */
export class StaleVisitError extends DomainError {
  constructor(given: string, current: string | undefined) {
    super(WorkflowErrorCode.STALE_VISIT, `visit ${given} is no longer current`, { visitId: given, currentVisitId: current ?? null });
  }
}
