import type { EndpointStateData } from '@stagehook/contracts';
import type { DataSource, EntityManager } from 'typeorm';

/** This service's view of one endpoint: the registry's state plus delivery's own health facts. */
export interface EndpointView {
  id: string;
  projectId: string;
  state: EndpointStateData;
  /** Registry says active, and delivery has not disabled it itself, and it is not deleted. */
  deliverable: boolean;
  disabledAt: Date | null;
  disabledReason: string | null;
  failingSince: Date | null;
  lastSuccessAt: Date | null;
}

export interface EndpointRow {
  id: string;
  project_id: string;
  state: EndpointStateData;
  registry_active: boolean;
  deleted: boolean;
  disabled_at: Date | null;
  disabled_reason: string | null;
  failing_since: Date | null;
  last_success_at: Date | null;
}

export function toView(r: EndpointRow): EndpointView {
  return {
    id: r.id,
    projectId: r.project_id,
    state: r.state,
    deliverable: r.registry_active && !r.deleted && r.disabled_at === null,
    disabledAt: r.disabled_at,
    disabledReason: r.disabled_reason,
    failingSince: r.failing_since,
    lastSuccessAt: r.last_success_at,
  };
}

/** The endpoint view's reads (intake's matching, the dispatcher's host, the API, the metrics). */
export class EndpointReadRepository {
  constructor(private readonly ds: DataSource) {}

  private q(m?: EntityManager) {
    return m ?? this.ds.manager;
  }

  /** Null also for a placeholder (patched, not registered yet): it is not an endpoint yet. */
  async get(id: string, m?: EntityManager): Promise<EndpointView | null> {
    const rows: EndpointRow[] = await this.q(m).query(`SELECT * FROM dl_endpoints WHERE id = $1 AND registered`, [id]);
    return rows[0] ? toView(rows[0]) : null;
  }

  async listForProject(projectId: string, m?: EntityManager): Promise<EndpointView[]> {
    const rows: EndpointRow[] = await this.q(m).query(`SELECT * FROM dl_endpoints WHERE project_id = $1 AND registered AND NOT deleted ORDER BY id`, [projectId]);
    return rows.map(toView);
  }

  /** Endpoints this service disabled itself and nobody re-enabled (deleted ones left out): an alert's input. */
  async countDisabled(): Promise<number> {
    const rows: { n: string }[] = await this.ds.query(`SELECT count(*) AS n FROM dl_endpoints WHERE disabled_at IS NOT NULL AND NOT deleted`);
    return Number(rows[0]?.n ?? 0);
  }
}
