import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { EndpointUnusable } from '../domain/item.decider.js';

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
