import type { InlineProjection, StoredEvent } from '@stagehook/event-store';
import type { EntityManager } from 'typeorm';
import { endpointDecider, type EndpointEvent, type EndpointState } from './endpoint.decider.js';

export const ENDPOINT_EVENT_TYPES = [
  'webhook.endpoint.registered',
  'webhook.endpoint.updated',
  'webhook.endpoint.disabled',
  'webhook.endpoint.enabled',
  'webhook.endpoint.deleted',
  'webhook.endpoint.secret.rotated',
  'webhook.endpoint.secret.revealed',
] as const;

export interface EndpointRow {
  endpoint_id: string;
  project_id: string;
  state: Extract<EndpointState, { status: 'live' }>;
  version: number;
}

/**
 * Folds each endpoint's events with the decider's own `evolve`, in the append's transaction, so
 * the list/get view is never behind the stream and a rebuild gives the same rows.
 */
export const endpointProjection: InlineProjection = {
  name: 'webhook_endpoints',
  handles: ENDPOINT_EVENT_TYPES,

  async apply(events: StoredEvent[], tx: EntityManager): Promise<void> {
    for (const e of events) {
      const endpointId = (e.data as { endpointId: string }).endpointId;
      const rows = await tx.query<Array<Pick<EndpointRow, 'state'>>>(`SELECT state FROM webhook_endpoints WHERE endpoint_id = $1 FOR UPDATE`, [endpointId]);
      const before: EndpointState = rows[0]?.state ?? endpointDecider.initialState();
      const after = endpointDecider.evolve(before, { type: e.type, data: e.data } as unknown as EndpointEvent);
      if (after.status !== 'live') {
        await tx.query(`DELETE FROM webhook_endpoints WHERE endpoint_id = $1`, [endpointId]);
        continue;
      }
      await tx.query(
        `INSERT INTO webhook_endpoints (endpoint_id, project_id, state, version, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (endpoint_id) DO UPDATE SET state = $3, version = $4, updated_at = $6`,
        [endpointId, after.endpoint.projectId, JSON.stringify(after), e.streamVersion, after.createdAt, after.updatedAt],
      );
    }
  },

  async reset(tx: EntityManager): Promise<void> {
    await tx.query(`DELETE FROM webhook_endpoints`);
  },
};
