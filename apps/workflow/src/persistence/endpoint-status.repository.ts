import { Injectable } from '@nestjs/common';
import { RecentReads } from '@stagehook/platform';
import { DataSource, type EntityManager } from 'typeorm';
import type { EndpointUnusable } from '../domain/item.decider.js';

/** How long a status read answers later reads of this process without asking PostgreSQL again. */
const RECENT_MS = 1_000;

/** The registry's view of endpoints, as far as routing needs it: can it take deliveries? */
@Injectable()
export class EndpointStatusRepository {
  /** Recent answers of `unusableRecently`, by project and endpoint list; emptied by `record`. */
  private readonly recent = new RecentReads<Record<string, EndpointUnusable>>(RECENT_MS, 1_000);

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
   * `unusable` as read at most a second ago by this process: what an item command or outcome
   * routes on. A change recorded here empties it at once; one another replica recorded is seen
   * within the second, and an item that entered a webhook stage meanwhile is failed by delivery
   * (which refuses to send to a disabled endpoint) rather than failed fast, so nothing waits on it.
   * Endpoint changes are rare and every step of every item reads them: one query per step saved.
   */
  async unusableRecently(projectId: string, endpointIds: readonly string[], now = Date.now()): Promise<Record<string, EndpointUnusable>> {
    if (endpointIds.length === 0) return {};
    return this.recent.get(`${projectId}\u0000${endpointIds.join('\u0000')}`, () => this.unusable(projectId, endpointIds), now);
  }

  /**
   * Records a status change unless a later one is already known (events of one endpoint may
   * arrive out of order across replicas). Deleted is final.
   */
  async record(manager: EntityManager, change: { endpointId: string; projectId: string; status: 'active' | EndpointUnusable; reason: string | null; at: string }): Promise<void> {
    this.recent.clear();
    await manager.query(
      `INSERT INTO wf_endpoint_status (endpoint_id, project_id, status, reason, changed_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (project_id, endpoint_id) DO UPDATE SET status = EXCLUDED.status, reason = EXCLUDED.reason, changed_at = EXCLUDED.changed_at
       WHERE wf_endpoint_status.status <> 'deleted' AND wf_endpoint_status.changed_at <= EXCLUDED.changed_at`,
      [change.endpointId, change.projectId, change.status, change.reason, change.at],
    );
  }
}
