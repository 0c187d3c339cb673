import type { EndpointStateData } from '@stagehook/contracts';
import type { DataSource, EntityManager } from 'typeorm';
import type { SourceOrder } from './source-order.js';
import { returning } from './sql.js';

export interface EndpointRef {
  endpointId: string;
  projectId: string;
}

/**
 * What a patch did. `missing`: an unversioned patch (published before versions were stamped)
 * for an endpoint not registered here yet; the consumer retries it until the registration
 * arrives instead of dropping it.
 */
export type Applied = 'applied' | 'stale' | 'missing';

/**
 * SET clause merging a full state ($2 project, $3 state, $4 active, $5 version) into row `e`: each
 * field group is taken from the event if the event is newer than the group's version (or the row
 * is a placeholder the group was never set in; unversioned events come as version 0).
 */
const MERGE_FULL_STATE = `
  state = (CASE WHEN e.base_version < $5 OR NOT e.registered THEN $3::jsonb ELSE e.state END) - 'active' - 'disabledReason' - 'signingSecrets'
    || CASE WHEN e.status_version < $5 OR (NOT e.registered AND e.status_version = 0)
            THEN jsonb_build_object('active', $3::jsonb -> 'active', 'disabledReason', $3::jsonb -> 'disabledReason')
            ELSE jsonb_build_object('active', e.state -> 'active', 'disabledReason', e.state -> 'disabledReason') END
    || CASE WHEN e.secrets_version < $5 OR (NOT e.registered AND e.secrets_version = 0)
            THEN jsonb_build_object('signingSecrets', $3::jsonb -> 'signingSecrets')
            ELSE jsonb_build_object('signingSecrets', e.state -> 'signingSecrets') END,
  registry_active = CASE WHEN e.status_version < $5 OR (NOT e.registered AND e.status_version = 0) THEN $4::boolean
                         ELSE (e.state ->> 'active')::boolean END,
  registered = true, project_id = $2,
  base_version = GREATEST(e.base_version, $5), status_version = GREATEST(e.status_version, $5),
  secrets_version = GREATEST(e.secrets_version, $5), updated_at = now()`;

/**
 * The endpoint view's writes: the projection of the registry's endpoint events (see
 * endpoint-view.projection.ts) and delivery's own health facts and disable. Its reads are
 * EndpointReadRepository's.
 */
export class EndpointRepository {
  constructor(private readonly ds: DataSource) {}

  private q(m?: EntityManager) {
    return m ?? this.ds.manager;
  }

  /**
   * Full state from `registered`/`updated`. Field groups keep their own version: the base fields
   * (url, filters, …) the full state's, `active`/`disabledReason` the newest of a full state or
   * an enable/disable, `signingSecrets` the newest of a full state or a rotation. An older event
   * arriving late (redelivery, another replica, a retried publish) never overwrites a newer one,
   * and a full state that arrives after a newer patch keeps the patch's fields: the result does
   * not depend on the order the events arrive in.
   */
  async upsertState(state: EndpointStateData, order: SourceOrder, m?: EntityManager): Promise<void> {
    if ('seq' in order) return this.upsertStateBySeq(state, order.seq, m);
    await this.q(m).query(
      `INSERT INTO dl_endpoints AS e (id, project_id, state, registry_active, registered, base_version, status_version, secrets_version)
       VALUES ($1, $2, $3::jsonb, $4, true, $5, $5, $5)
       ON CONFLICT (id) DO UPDATE SET ${MERGE_FULL_STATE}
       WHERE e.base_version < $5 OR e.status_version < $5 OR e.secrets_version < $5`,
      [state.endpointId, state.projectId, JSON.stringify(state), state.active, order.version],
    );
  }

  /** `enabled`/`disabled`. */
  setStatus(ref: EndpointRef, status: { active: boolean; disabledReason: string | null }, order: SourceOrder, m?: EntityManager): Promise<Applied> {
    return this.patch(ref, 'status_version', status, order, m);
  }

  /** `secret.rotated`. */
  setSigningSecrets(ref: EndpointRef, signingSecrets: EndpointStateData['signingSecrets'], order: SourceOrder, m?: EntityManager): Promise<Applied> {
    return this.patch(ref, 'secrets_version', { signingSecrets }, order, m);
  }

  /**
   * One group of fields at `order`. An endpoint this view has not seen registered yet (its
   * `registered` is still on its way, or will come after a retried publish) gets a placeholder
   * row holding the patch and its version, invisible to matching and dispatch until the full
   * state arrives and fills in the rest: an early patch is kept, never dropped.
   */
  private async patch(ref: EndpointRef, group: 'status_version' | 'secrets_version', fields: Partial<EndpointStateData>, order: SourceOrder, m?: EntityManager): Promise<Applied> {
    const active = fields.active ?? null;
    if ('seq' in order) return this.patchBySeq(ref.endpointId, fields, order.seq, m);
    // No row back: the view already holds this group at a newer version (a late or replayed event).
    const rows: unknown[] = await returning(
      this.q(m),
      `INSERT INTO dl_endpoints AS e (id, project_id, state, registry_active, registered, ${group})
       VALUES ($1, $2, jsonb_build_object('endpointId', $1::text, 'projectId', $2::text) || $3::jsonb, false, false, $4)
       ON CONFLICT (id) DO UPDATE SET state = e.state || $3::jsonb, ${group} = $4, updated_at = now(),
         registry_active = CASE WHEN e.registered AND $5::boolean IS NOT NULL THEN $5::boolean ELSE e.registry_active END
       WHERE e.${group} < $4
       RETURNING id`,
      [ref.endpointId, ref.projectId, JSON.stringify(fields), order.version, active],
    );
    return rows.length > 0 ? 'applied' : 'stale';
  }

  /**
   * `deleted` is final: a tombstone whatever the order, so a `registered` or `updated` arriving
   * after it (a retried publish, a redelivery) cannot bring the endpoint back.
   */
  async markDeleted(ref: EndpointRef, order: SourceOrder, m?: EntityManager): Promise<Applied> {
    if ('seq' in order) {
      const rows: unknown[] = await returning(
        this.q(m),
        `UPDATE dl_endpoints SET deleted = true, source_seq = $2, updated_at = now()
         WHERE id = $1 AND source_seq < $2 AND base_version = 0 AND status_version = 0 AND secrets_version = 0 RETURNING 1`,
        [ref.endpointId, order.seq],
      );
      return rows.length > 0 ? 'applied' : this.staleOrMissing(ref.endpointId, m);
    }
    await this.q(m).query(
      `INSERT INTO dl_endpoints AS e (id, project_id, state, registry_active, registered, deleted)
       VALUES ($1, $2, jsonb_build_object('endpointId', $1::text, 'projectId', $2::text), false, false, true)
       ON CONFLICT (id) DO UPDATE SET deleted = true, updated_at = now() WHERE NOT e.deleted`,
      [ref.endpointId, ref.projectId],
    );
    return 'applied';
  }

  /**
   * Events published before versions were stamped: the stream sequence orders them, as long as
   * no versioned event (always newer) has touched the row.
   */
  private async upsertStateBySeq(state: EndpointStateData, seq: number, m?: EntityManager): Promise<void> {
    // A placeholder holds versioned patches, all newer than this: fill in what they left.
    const merged: unknown[] = await returning(this.q(m), `UPDATE dl_endpoints e SET ${MERGE_FULL_STATE}, source_seq = $6 WHERE e.id = $1 AND NOT e.registered RETURNING 1`, [
      state.endpointId,
      state.projectId,
      JSON.stringify(state),
      state.active,
      0,
      seq,
    ]);
    if (merged.length > 0) return;
    await this.q(m).query(
      `INSERT INTO dl_endpoints (id, project_id, state, registry_active, source_seq)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (id) DO UPDATE SET state = EXCLUDED.state, registry_active = EXCLUDED.registry_active,
         registered = true, source_seq = EXCLUDED.source_seq, updated_at = now()
       WHERE dl_endpoints.source_seq < EXCLUDED.source_seq
         AND dl_endpoints.base_version = 0 AND dl_endpoints.status_version = 0 AND dl_endpoints.secrets_version = 0`,
      [state.endpointId, state.projectId, JSON.stringify(state), state.active, seq],
    );
  }

  private async patchBySeq(id: string, patch: Partial<EndpointStateData>, seq: number, m?: EntityManager): Promise<Applied> {
    const rows: unknown[] = await returning(
      this.q(m),
      `UPDATE dl_endpoints SET state = state || $2::jsonb, source_seq = $3, updated_at = now(),
         registry_active = COALESCE(($2::jsonb ->> 'active')::boolean, registry_active)
       WHERE id = $1 AND source_seq < $3 AND base_version = 0 AND status_version = 0 AND secrets_version = 0 RETURNING 1`,
      [id, JSON.stringify(patch), seq],
    );
    return rows.length > 0 ? 'applied' : this.staleOrMissing(id, m);
  }

  /** Why an unversioned patch changed nothing: a newer state is there, or the row is not (yet). */
  private async staleOrMissing(id: string, m?: EntityManager): Promise<Applied> {
    const rows: unknown[] = await this.q(m).query(`SELECT 1 FROM dl_endpoints WHERE id = $1 AND registered`, [id]);
    return rows.length > 0 ? 'stale' : 'missing';
  }

  /** Delivery's own disable (410 Gone, days without success). Returns false when already disabled. */
  async disable(id: string, reason: string, m?: EntityManager): Promise<boolean> {
    const rows: unknown[] = await returning(
      this.q(m),
      `UPDATE dl_endpoints SET disabled_at = now(), disabled_reason = $2, updated_at = now() WHERE id = $1 AND disabled_at IS NULL RETURNING id`,
      [id, reason],
    );
    return rows.length > 0;
  }

  /** 2xx answers: the endpoints are healthy again. Writes only where one was failing (hot path stays read-only). */
  async recordSuccess(ids: string[], m: EntityManager): Promise<void> {
    await m.query(`UPDATE dl_endpoints SET failing_since = NULL, last_success_at = now() WHERE id = ANY($1::text[]) AND failing_since IS NOT NULL`, [ids]);
  }

  /**
   * A failed attempt; returns since when the endpoint has been failing without a success. Writes
   * only the first failure, like recordSuccess only the first
   * success: an endpoint that fails every attempt (one that hangs or is down) would otherwise
   * have each failure's transaction wait on its row for the one before, each holding a pooled
   * connection meanwhile, until intake and other endpoints' records waited for connections.
   */
  async recordFailure(id: string, m: EntityManager): Promise<Date | null> {
    // The second SELECT sees the row as the statement began, so it answers when the UPDATE
    // found the endpoint already failing; a first failure committed meanwhile by another
    // transaction answers null (a first failure, never a long one).
    const rows: { failing_since: Date }[] = await m.query(
      `WITH first AS (
         UPDATE dl_endpoints SET failing_since = now() WHERE id = $1 AND failing_since IS NULL RETURNING failing_since
       )
       SELECT failing_since FROM first
       UNION ALL
       SELECT failing_since FROM dl_endpoints WHERE id = $1 AND failing_since IS NOT NULL`,
      [id],
    );
    return rows[0]?.failing_since ?? null;
  }
}
