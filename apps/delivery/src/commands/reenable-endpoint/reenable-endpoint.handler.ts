import type { EventStore } from '@stagehook/event-store';
import type { EntityManager } from 'typeorm';
import { decideEndpoint } from '../../domain/delivery-lifecycle.js';
import { returning } from '../../persistence/sql.js';

/**
 * The registry enabled an endpoint (its enable is the one enable path). If delivery had disabled
 * it on its own, that disable is cleared and every delivery that failed because the endpoint was
 * disabled since then is queued again, in the consumer's transaction with the registry's event;
 * `delivery.endpoint.enabled` says how many. An endpoint delivery had not disabled: nothing to do.
 */
export async function clearOwnDisable(m: EntityManager, store: EventStore, source: string, ep: { endpointId: string; projectId: string; at: string }): Promise<number | null> {
  const rows: { was: Date | null }[] = await m.query(`SELECT disabled_at AS was FROM dl_endpoints WHERE id = $1 FOR UPDATE`, [ep.endpointId]);
  const was = rows[0]?.was ?? null;
  // Not disabled by delivery: nothing to clear (the lifecycle refuses to enable it).
  if (was === null) return null;
  await m.query(`UPDATE dl_endpoints SET disabled_at = NULL, disabled_reason = NULL, failing_since = NULL, updated_at = now() WHERE id = $1`, [ep.endpointId]);
  // What failed without an attempt because the endpoint was disabled (the delivery that got the
  // 410 itself was answered; `POST /endpoints/:id/recover` sends it again if wanted).
  const replayed: unknown[] = await returning(
    m,
    `UPDATE dl_deliveries SET status = 'pending', max_attempts = attempts + 1, next_attempt_at = now(), completed_at = NULL, updated_at = now()
     WHERE endpoint_id = $1 AND status = 'failed' AND completed_at >= $2 AND last_error LIKE 'endpoint disabled%' RETURNING id`,
    [ep.endpointId, was],
  );
  const { events } = decideEndpoint(
    { status: 'disabled', since: was },
    { type: 'EnableEndpoint', replayed: replayed.length, enabledAt: ep.at },
    { ref: { endpointId: ep.endpointId, projectId: ep.projectId }, source, now: new Date(ep.at) },
  );
  await store.append(`endpoint-${ep.endpointId}`, 'any', events, { manager: m, streamType: 'endpoint' });
  return replayed.length;
}
