import type { EndpointStateData } from '@stagehook/contracts';
import type { DataSource, EntityManager } from 'typeorm';
import { returning } from './sql.js';

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

interface Row {
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

export function toView(r: Row): EndpointView {
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

export class EndpointRepository {
  constructor(private readonly ds: DataSource) {}

  private q(m?: EntityManager) {
    return m ?? this.ds.manager;
  }

  /**
   * Full state from `registered`/`updated`. `seq` is the event's stream sequence in WEBHOOKS:
   * an older event arriving late (redelivery, another replica) never overwrites a newer one.
   */
  async upsertState(state: EndpointStateData, seq: number, m?: EntityManager): Promise<void> {
    await this.q(m).query(
      `INSERT INTO dl_endpoints (id, project_id, state, registry_active, source_seq)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (id) DO UPDATE SET state = EXCLUDED.state, registry_active = EXCLUDED.registry_active,
         source_seq = EXCLUDED.source_seq, updated_at = now()
       WHERE dl_endpoints.source_seq < EXCLUDED.source_seq`,
      [state.endpointId, state.projectId, JSON.stringify(state), state.active, seq],
    );
  }

  async patchState(id: string, patch: Partial<EndpointStateData>, seq: number, m?: EntityManager): Promise<void> {
    await this.q(m).query(
      `UPDATE dl_endpoints SET state = state || $2::jsonb, source_seq = $3, updated_at = now(),
         registry_active = COALESCE(($2::jsonb ->> 'active')::boolean, registry_active)
       WHERE id = $1 AND source_seq < $3`,
      [id, JSON.stringify(patch), seq],
    );
  }

  async markDeleted(id: string, seq: number, m?: EntityManager): Promise<void> {
    await this.q(m).query(`UPDATE dl_endpoints SET deleted = true, source_seq = $2, updated_at = now() WHERE id = $1 AND source_seq < $2`, [id, seq]);
  }

  async get(id: string, m?: EntityManager): Promise<EndpointView | null> {
    const rows: Row[] = await this.q(m).query(`SELECT * FROM dl_endpoints WHERE id = $1`, [id]);
    return rows[0] ? toView(rows[0]) : null;
  }

  async listForProject(projectId: string, m?: EntityManager): Promise<EndpointView[]> {
    const rows: Row[] = await this.q(m).query(`SELECT * FROM dl_endpoints WHERE project_id = $1 AND NOT deleted ORDER BY id`, [projectId]);
    return rows.map(toView);
  }

  /** Delivery's own disable (410 Gone, days without success). Returns false when already disabled. */
  async disable(id: string, reason: string, m?: EntityManager): Promise<boolean> {
    const rows: unknown[] = await returning(this.q(m), 
      `UPDATE dl_endpoints SET disabled_at = now(), disabled_reason = $2, updated_at = now() WHERE id = $1 AND disabled_at IS NULL RETURNING id`,
      [id, reason],
    );
    return rows.length > 0;
  }

  /** 2xx answers: the endpoints are healthy again. Writes only where one was failing (hot path stays read-only). */
  async recordSuccess(ids: string[], m: EntityManager): Promise<void> {
    await m.query(`UPDATE dl_endpoints SET failing_since = NULL, last_success_at = now() WHERE id = ANY($1::text[]) AND failing_since IS NOT NULL`, [ids]);
  }

  /** A failed attempt; returns since when the endpoint has been failing without a success. */
  async recordFailure(id: string, m: EntityManager): Promise<Date | null> {
    const rows: { failing_since: Date }[] = await returning(m, 
      `UPDATE dl_endpoints SET failing_since = COALESCE(failing_since, now()) WHERE id = $1 RETURNING failing_since`,
      [id],
    );
    return rows[0]?.failing_since ?? null;
  }
}
