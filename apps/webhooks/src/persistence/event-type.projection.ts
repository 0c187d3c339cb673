import { EVENT_TYPE_EVENT_TYPES } from '@stagehook/contracts';
import type { InlineProjection, StoredEventOf } from '@stagehook/event-store';
import type { EntityManager } from 'typeorm';
import { eventTypeDecider, type EventTypeEvent, type EventTypeState } from '../domain/event-type.decider.js';

export type LiveEventType = Extract<EventTypeState, { status: 'live' }>;

/** Folds each type's events with the decider's `evolve`, in the append's transaction. */
export const eventTypeProjection: InlineProjection<EventTypeEvent> = {
  name: 'webhook_event_types',
  handles: EVENT_TYPE_EVENT_TYPES,

  async apply(events: StoredEventOf<EventTypeEvent>[], tx: EntityManager): Promise<void> {
    for (const e of events) {
      const { projectId, name } = e.data;
      const rows = await tx.query<Array<{ state: LiveEventType }>>(`SELECT state FROM webhook_event_types WHERE project_id = $1 AND name = $2 FOR UPDATE`, [projectId, name]);
      const before: EventTypeState = rows[0]?.state ?? eventTypeDecider.initialState();
      const after = eventTypeDecider.evolve(before, e);
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
