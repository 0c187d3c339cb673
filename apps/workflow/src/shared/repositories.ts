import { Injectable } from '@nestjs/common';
import { assertSameProject } from '@stagehook/platform';
import { DataSource, type EntityManager } from 'typeorm';
import type { StageType } from '@stagehook/contracts';
import type { EndpointUnusable } from '../domain/item.decider.js';
import type { Stage } from '../domain/graph.js';

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

const iso = (d: Date | string) => (d instanceof Date ? d : new Date(d)).toISOString();

/** Definition versions, as the inline projection keeps them. */
@Injectable()
export class DefinitionsRepository {
  /** Versions never change once saved, so they are cached; the latest version is always read. */
  private readonly versions = new Map<string, DefinitionView>();
  private readonly projects = new Map<string, string>();
  private static readonly CACHE_MAX = 1000;

  constructor(private readonly ds: DataSource) {}

  /** The workflow's project (from any version: it never changes), or undefined. */
  async projectOf(workflowId: string): Promise<string | undefined> {
    return this.projects.get(workflowId) ?? (await this.find(workflowId))?.projectId;
  }

  /** 404 unless the workflow exists in the project (another project's workflow is a 404 too). */
  async assertInProject(workflowId: string, projectId: string): Promise<void> {
    assertSameProject(await this.projectOf(workflowId), projectId, `workflow ${workflowId}`);
  }

  /** A version of a workflow (the latest when `version` is absent), or undefined. */
  async find(workflowId: string, version?: number, manager?: EntityManager): Promise<DefinitionView | undefined> {
    const cached = version !== undefined ? this.versions.get(`${workflowId}@${version}`) : undefined;
    if (cached) return cached;
    const def = await this.load(workflowId, version, manager);
    if (def) {
      if (this.versions.size >= DefinitionsRepository.CACHE_MAX) {
        this.versions.delete(this.versions.keys().next().value as string);
        this.projects.clear();
      }
      this.versions.set(`${workflowId}@${def.version}`, def);
      this.projects.set(workflowId, def.projectId);
    }
    return def;
  }

  private async load(workflowId: string, version?: number, manager?: EntityManager): Promise<DefinitionView | undefined> {
    const rows = await (manager ?? this.ds).query<DefRow[]>(
      `SELECT * FROM wf_definitions WHERE workflow_id = $1 AND ($2::int IS NULL OR version = $2) ORDER BY version DESC LIMIT 1`,
      [workflowId, version ?? null],
    );
    return rows[0] && toDefinition(rows[0]);
  }

  /** The workflow a dataset feeds (dataset-bound workflows), and since when, or undefined. */
  async boundTo(projectId: string, datasetId: string, manager?: EntityManager): Promise<{ workflowId: string; boundAt: Date } | undefined> {
    const rows: { workflow_id: string; bound_at: Date }[] = await (manager ?? this.ds).query(
      `SELECT workflow_id, bound_at FROM wf_dataset_bindings WHERE project_id = $1 AND dataset_id = $2`,
      [projectId, datasetId],
    );
    return rows[0] ? { workflowId: rows[0].workflow_id, boundAt: new Date(rows[0].bound_at) } : undefined;
  }

  /** Latest version of each of the project's workflows. */
  async list(projectId: string): Promise<DefinitionView[]> {
    const rows = await this.ds.query<DefRow[]>(`SELECT DISTINCT ON (workflow_id) * FROM wf_definitions WHERE project_id = $1 ORDER BY workflow_id, version DESC`, [projectId]);
    return rows.map(toDefinition);
  }
}

interface DefRow {
  workflow_id: string;
  version: number;
  project_id: string;
  name: string;
  stages: Stage[];
  created_at: Date;
}

function toDefinition(r: DefRow): DefinitionView {
  return { workflowId: r.workflow_id, projectId: r.project_id, version: r.version, name: r.name, stages: r.stages, createdAt: iso(r.created_at) };
}

interface PositionRow {
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

function toPosition(r: PositionRow): PositionView {
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

/** Where items are and where they have been. */
@Injectable()
export class PositionsRepository {
  constructor(private readonly ds: DataSource) {}

  async find(workflowId: string, itemId: string, manager?: EntityManager): Promise<PositionView | undefined> {
    const rows = await (manager ?? this.ds).query<PositionRow[]>(`SELECT * FROM wf_item_positions WHERE workflow_id = $1 AND item_id = $2`, [workflowId, itemId]);
    return rows[0] && toPosition(rows[0]);
  }

  /** Which of `itemIds` are already in the workflow. */
  async present(workflowId: string, itemIds: readonly string[], manager?: EntityManager): Promise<Set<string>> {
    const rows = await (manager ?? this.ds).query<Array<{ item_id: string }>>(`SELECT item_id FROM wf_item_positions WHERE workflow_id = $1 AND item_id = ANY($2)`, [
      workflowId,
      itemIds,
    ]);
    return new Set(rows.map((r) => r.item_id));
  }

  async countsByStage(workflowId: string): Promise<Array<{ stageId: string; stageName: string; stageType: StageType; count: number }>> {
    const rows = await this.ds.query<Array<{ stage_id: string; stage_name: string; stage_type: StageType; count: string }>>(
      `SELECT stage_id, stage_name, stage_type, count(*) AS count FROM wf_item_positions WHERE workflow_id = $1
       GROUP BY stage_id, stage_name, stage_type ORDER BY stage_name`,
      [workflowId],
    );
    return rows.map((r) => ({ stageId: r.stage_id, stageName: r.stage_name, stageType: r.stage_type, count: Number(r.count) }));
  }

  async inStage(workflowId: string, stageId: string, limit: number, afterItemId?: string): Promise<PositionView[]> {
    const rows = await this.ds.query<PositionRow[]>(
      `SELECT * FROM wf_item_positions WHERE workflow_id = $1 AND stage_id = $2 AND ($3::text IS NULL OR item_id > $3)
       ORDER BY item_id LIMIT $4`,
      [workflowId, stageId, afterItemId ?? null, limit],
    );
    return rows.map(toPosition);
  }

  /** Items of the project waiting in a webhook stage since before `before`, oldest first. */
  async waitingInWebhookStages(projectId: string, before: Date, limit: number, workflowId?: string): Promise<PositionView[]> {
    const rows = await this.ds.query<PositionRow[]>(
      `SELECT * FROM wf_item_positions
       WHERE project_id = $1 AND stage_type = 'webhook' AND entered_at < $2 AND ($4::text IS NULL OR workflow_id = $4)
       ORDER BY entered_at LIMIT $3`,
      [projectId, before.toISOString(), limit, workflowId ?? null],
    );
    return rows.map(toPosition);
  }

  /** Visits of the project waiting in webhook stages on `endpointId`. */
  /** One page of the positions parked on an endpoint, by item id after `afterItemId`. */
  async parkedOn(manager: EntityManager | undefined, projectId: string, endpointId: string, page: { afterItemId?: string; limit: number }): Promise<PositionView[]> {
    const rows = await (manager ?? this.ds.manager).query<PositionRow[]>(
      `SELECT * FROM wf_item_positions WHERE project_id = $1 AND parked_on = $2 AND item_id > $3 ORDER BY item_id LIMIT $4`,
      [projectId, endpointId, page.afterItemId ?? '', page.limit],
    );
    return rows.map(toPosition);
  }

  /** One page of the positions waiting on an endpoint, by item id after `afterItemId`. */
  async waitingOnEndpoint(manager: EntityManager | undefined, projectId: string, endpointId: string, page: { afterItemId?: string; limit: number }): Promise<PositionView[]> {
    const rows = await (manager ?? this.ds.manager).query<PositionRow[]>(
      `SELECT * FROM wf_item_positions WHERE stage_type = 'webhook' AND webhook_endpoint_id = $1 AND project_id = $2 AND parked_on IS NULL AND item_id > $3
       ORDER BY item_id LIMIT $4`,
      [endpointId, projectId, page.afterItemId ?? '', page.limit],
    );
    return rows.map(toPosition);
  }

  /** Items in webhook stages across all projects, and the age of the oldest entry (for metrics). */
  async webhookWaitStats(now: Date): Promise<{ waiting: number; oldestSeconds: number }> {
    const rows = await this.ds.query<Array<{ waiting: string; oldest: Date | null }>>(
      `SELECT count(*) AS waiting, min(entered_at) AS oldest FROM wf_item_positions WHERE stage_type = 'webhook'`,
    );
    const oldest = rows[0]?.oldest;
    return { waiting: Number(rows[0]?.waiting ?? 0), oldestSeconds: oldest ? Math.max(0, (now.getTime() - new Date(oldest).getTime()) / 1000) : 0 };
  }

  async history(workflowId: string, itemId: string): Promise<VisitView[]> {
    const rows = await this.ds.query<
      Array<{
        visit_id: string;
        stage_id: string;
        stage_type: StageType;
        stage_name: string;
        item_version: number;
        entered_at: Date;
        left_at: Date | null;
        edge: string | null;
        to_stage_id: string | null;
        left_by: string | null;
        reason: string | null;
        delivery_id: string | null;
      }>
    >(`SELECT * FROM wf_visits WHERE workflow_id = $1 AND item_id = $2 ORDER BY seq`, [workflowId, itemId]);
    return rows.map((r) => ({
      visitId: r.visit_id,
      stageId: r.stage_id,
      stageType: r.stage_type,
      stageName: r.stage_name,
      itemVersion: r.item_version,
      enteredAt: iso(r.entered_at),
      leftAt: r.left_at && iso(r.left_at),
      edge: r.edge,
      toStageId: r.to_stage_id,
      by: r.left_by,
      reason: r.reason,
      deliveryId: r.delivery_id,
      outcome: r.edge,
    }));
  }
}

/** The registry's view of endpoints, as far as routing needs it: can it take deliveries? */
@Injectable()
export class EndpointStatusRepository {
  constructor(private readonly ds: DataSource) {}

  /** The endpoints of the project this service has seen an event of (whatever their status). */
  async known(projectId: string, endpointIds: readonly string[]): Promise<Set<string>> {
    if (endpointIds.length === 0) return new Set();
    const rows = await this.ds.query<Array<{ endpoint_id: string }>>(`SELECT endpoint_id FROM wf_endpoint_status WHERE project_id = $1 AND endpoint_id = ANY($2)`, [
      projectId,
      endpointIds,
    ]);
    return new Set(rows.map((r) => r.endpoint_id));
  }

  async unusable(projectId: string, endpointIds: readonly string[], manager?: EntityManager): Promise<Record<string, EndpointUnusable>> {
    if (endpointIds.length === 0) return {};
    const rows = await (manager ?? this.ds).query<Array<{ endpoint_id: string; status: EndpointUnusable }>>(
      `SELECT endpoint_id, status FROM wf_endpoint_status WHERE project_id = $1 AND endpoint_id = ANY($2) AND status <> 'active'`,
      [projectId, endpointIds],
    );
    return Object.fromEntries(rows.map((r) => [r.endpoint_id, r.status]));
  }

  /**
   * Records a status change unless a later one is already known (events of one endpoint may
   * arrive out of order across replicas). Deleted is final.
   */
  async record(manager: EntityManager, change: { endpointId: string; projectId: string; status: 'active' | EndpointUnusable; reason: string | null; at: string }): Promise<void> {
    await manager.query(
      `INSERT INTO wf_endpoint_status (endpoint_id, project_id, status, reason, changed_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (project_id, endpoint_id) DO UPDATE SET status = EXCLUDED.status, reason = EXCLUDED.reason, changed_at = EXCLUDED.changed_at
       WHERE wf_endpoint_status.status <> 'deleted' AND wf_endpoint_status.changed_at <= EXCLUDED.changed_at`,
      [change.endpointId, change.projectId, change.status, change.reason, change.at],
    );
  }
}
