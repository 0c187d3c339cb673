import type { InlineProjection, StoredEvent } from '@stagehook/event-store';
import type { EntityManager } from 'typeorm';
import { eventTypeDecider, type EventTypeEvent, type EventTypeState } from './event-type.decider.js';

export const EVENT_TYPE_EVENT_TYPES = ['webhook.event_type.registered', 'webhook.event_type.version_added', 'webhook.event_type.deprecated'] as const;

export type LiveEventType = Extract<EventTypeState, { status: 'live' }>;

/** Folds each type's events with the decider's `evolve`, in the append's transaction. */
export const eventTypeProjection: InlineProjection = {
  name: 'webhook_event_types',
  handles: EVENT_TYPE_EVENT_TYPES,

  async apply(events: StoredEvent[], tx: EntityManager): Promise<void> {
    for (const e of events) {
      const { projectId, name } = e.data as { projectId: string; name: string };
      const rows = await tx.query<Array<{ state: LiveEventType }>>(`SELECT state FROM webhook_event_types WHERE project_id = $1 AND name = $2 FOR UPDATE`, [projectId, name]);
      const before: EventTypeState = rows[0]?.state ?? eventTypeDecider.initialState();
      const after = eventTypeDecider.evolve(before, { type: e.type, data: e.data } as unknown as EventTypeEvent);
      if (after.status !== 'live') continue;
      await tx.query(
        `INSERT INTO webhook_event_types (project_id, name, state, deprecated, version, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (project_id, name) DO UPDATE SET state = $3, deprecated = $4, version = $5, updated_at = $7`,
        [projectId, name, JSON.stringify(after), after.deprecated !== null, e.streamVersion, after.createdAt, after.updatedAt],
      );
    }
  },

  async reset(tx: EntityManager): Promise<void> {
    await tx.query(`DELETE FROM webhook_event_types`);
  },
};
