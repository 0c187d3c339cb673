import type { EventOf, StageType } from '@stagehook/contracts';
import type { Stage } from '../domain/graph.js';

/** The item events `positionAfter` reads (stored or decided). */
type ItemEventLike = EventOf<'workflow.stage.entered'> | EventOf<'workflow.stage.left'> | EventOf<'workflow.item.completed'> | EventOf<'workflow.item.parked'>;

/** What the read models hold, as the API answers them; shared by the write-side and query repositories. */
export interface DefinitionView {
  workflowId: string;
  projectId: string;
  version: number;
  name: string;
  stages: Stage[];
  createdAt: string;
}

export interface PositionView {
  workflowId: string;
  itemId: string;
  projectId: string;
  workflowVersion: number;
  stageId: string;
  stageType: StageType;
  stageName: string;
  visitId: string;
  itemVersion: number;
  enteredAt: string;
  completed: boolean;
  /** `blocked` while parked in a webhook stage that cannot deliver (see `blockedReason`). */
  state: 'waiting' | 'blocked' | 'completed';
  blockedReason?: string;
  blockedSince?: string;
}

export interface VisitView {
  visitId: string;
  stageId: string;
  stageType: StageType;
  stageName: string;
  itemVersion: number;
  enteredAt: string;
  leftAt: string | null;
  edge: string | null;
  toStageId: string | null;
  by: string | null;
  reason: string | null;
  deliveryId: string | null;
  /** How the visit ended: `succeeded`/`failed` for webhook stages, the edge name otherwise. */
  outcome: string | null;
}

export const iso = (d: Date | string) => (d instanceof Date ? d : new Date(d)).toISOString();

/** A row of `wf_definitions`. */
export interface DefRow {
  workflow_id: string;
  version: number;
  project_id: string;
  name: string;
  stages: Stage[];
  created_at: Date;
}

export function toDefinition(r: DefRow): DefinitionView {
  return { workflowId: r.workflow_id, projectId: r.project_id, version: r.version, name: r.name, stages: r.stages, createdAt: iso(r.created_at) };
}

/** A row of `wf_item_positions`. */
export interface PositionRow {
  workflow_id: string;
  item_id: string;
  project_id: string;
  workflow_version: number;
  stage_id: string;
  stage_type: StageType;
  stage_name: string;
  visit_id: string;
  item_version: number;
  entered_at: Date;
  completed: boolean;
  webhook_endpoint_id: string | null;
  parked_on: string | null;
  parked_reason: string | null;
  parked_at: Date | null;
}

export function toPosition(r: PositionRow): PositionView {
  return {
    workflowId: r.workflow_id,
    itemId: r.item_id,
    projectId: r.project_id,
    workflowVersion: r.workflow_version,
    stageId: r.stage_id,
    stageType: r.stage_type,
    stageName: r.stage_name,
    visitId: r.visit_id,
    itemVersion: r.item_version,
    enteredAt: iso(r.entered_at),
    completed: r.completed,
    state: r.completed ? 'completed' : r.parked_on ? 'blocked' : 'waiting',
    ...(r.parked_on ? { blockedReason: r.parked_reason ?? `waiting on endpoint ${r.parked_on}`, ...(r.parked_at ? { blockedSince: iso(r.parked_at) } : {}) } : {}),
  };
}

/**
 * The row the items projection leaves for an item after a command's events (see projections.ts),
 * when they enter a stage: the last entry, completed or parked there by what follows it. Undefined
 * when they enter none (the row then depends on the one before them).
 */
export function positionRowAfter(events: readonly ItemEventLike[]): PositionRow | undefined {
  let last = -1;
  events.forEach((e, i) => {
    if (e.type === 'workflow.stage.entered') last = i;
  });
  const entered = events[last];
  if (entered?.type !== 'workflow.stage.entered') return undefined;
  const d = entered.data;
  const row: PositionRow = {
    workflow_id: d.workflowId,
    item_id: d.itemId,
    project_id: d.projectId,
    workflow_version: d.workflowVersion,
    stage_id: d.stageId,
    stage_type: d.stageType,
    stage_name: d.stageName,
    visit_id: d.visitId,
    item_version: d.itemVersion,
    entered_at: new Date(d.enteredAt),
    completed: false,
    webhook_endpoint_id: d.webhook?.endpointId ?? null,
    parked_on: null,
    parked_reason: null,
    parked_at: null,
  };
  for (const e of events.slice(last + 1)) {
    if (e.type === 'workflow.item.completed' && e.data.visitId === row.visit_id) row.completed = true;
    if (e.type === 'workflow.item.parked' && e.data.visitId === row.visit_id) {
      row.parked_on = e.data.endpointId;
      row.parked_reason = e.data.reason;
      row.parked_at = new Date(e.data.parkedAt);
      row.webhook_endpoint_id = e.data.endpointId;
    }
  }
  return row;
}

/** The position a command's events leave an item at: what it answers without reading the row back. */
export function positionAfter(events: readonly ItemEventLike[]): PositionView | undefined {
  const row = positionRowAfter(events);
  return row && toPosition(row);
}
