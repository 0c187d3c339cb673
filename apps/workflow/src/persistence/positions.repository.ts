import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { type PositionRow, type PositionView, toPosition } from './views.js';

/**
 * Where items are, as commands need it before they decide: the item's position (its workflow
 * version, current visit), which items are present, and the visits waiting or parked on an
 * endpoint. Every method takes the caller's transaction where it has one. Read-only views for the
 * API are in PositionsQueries.
 */
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
}
