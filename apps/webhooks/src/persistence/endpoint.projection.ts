import { ENDPOINT_EVENT_TYPES } from '@stagehook/contracts';
import type { InlineProjection, StoredEventOf } from '@stagehook/event-store';
import type { EntityManager } from 'typeorm';
import { endpointDecider, type EndpointEvent, type EndpointState } from '../domain/endpoint.decider.js';

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
export const endpointProjection: InlineProjection<EndpointEvent> = {
  name: 'webhook_endpoints',
  handles: ENDPOINT_EVENT_TYPES,

  async apply(events: StoredEventOf<EndpointEvent>[], tx: EntityManager): Promise<void> {
    for (const e of events) {
      const endpointId = e.data.endpointId;
      const rows = await tx.query<Array<Pick<EndpointRow, 'state'>>>(`SELECT state FROM webhook_endpoints WHERE endpoint_id = $1 FOR UPDATE`, [endpointId]);
      const before: EndpointState = rows[0]?.state ?? endpointDecider.initialState();
      const after = endpointDecider.evolve(before, e);
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
