import { Injectable } from '@nestjs/common';
import type { StageType } from '@stagehook/contracts';
import { DataSource } from 'typeorm';
import { iso, type PositionRow, type PositionView, toPosition, type VisitView } from './views.js';

/** Where items are and where they have been: read-only queries for the API and metrics. */
@Injectable()
export class PositionsQueries {
  constructor(private readonly ds: DataSource) {}

  /** Where the item is now, or undefined when it is not in the workflow. */
  async find(workflowId: string, itemId: string): Promise<PositionView | undefined> {
    const rows = await this.ds.query<PositionRow[]>(`SELECT * FROM wf_item_positions WHERE workflow_id = $1 AND item_id = $2`, [workflowId, itemId]);
    return rows[0] && toPosition(rows[0]);
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
