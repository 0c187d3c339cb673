import type { StageType } from '@stagehook/contracts';
import type { Stage } from '../domain/graph.js';

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
