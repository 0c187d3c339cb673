import { assertNever, EVENT_TYPE_EVENT_TYPES, type EventData, type EventOf, type EventTypeEventType } from '@stagehook/contracts';
import type { Decider } from '@stagehook/event-store';
import { ConflictError, NotFoundError } from '@stagehook/platform/domain';

export interface EventTypeVersion {
  version: number;
  schema: Record<string, unknown>;
  examples: Record<string, unknown>[];
  at: string;
  by: string;
}

export type EventTypeState =
  | { status: 'none' }
  | {
      status: 'live';
      projectId: string;
      name: string;
      description: string;
      versions: EventTypeVersion[];
      deprecated: { reason: string; at: string; by: string } | null;
      createdAt: string;
      updatedAt: string;
    };

/** The events of an event type's stream, as the contracts define them. */
export type EventTypeEvent = EventOf<EventTypeEventType>;

interface Definition {
  schema: Record<string, unknown>;
  examples: Record<string, unknown>[];
}

export type EventTypeCommand =
  | ({ type: 'RegisterEventType'; projectId: string; name: string; description: string; by: string; now: Date } & Definition)
  | ({ type: 'AddEventTypeVersion'; projectId: string; name: string; description?: string; by: string; now: Date } & Definition)
  | { type: 'DeprecateEventType'; projectId: string; name: string; reason: string; by: string; now: Date };

const versionOf = (d: EventData<'webhook.event_type.registered' | 'webhook.event_type.version_added'>): EventTypeVersion => ({
  version: d.version,
  schema: d.schema,
  examples: d.examples ?? [],
  at: d.at,
  by: d.by,
});

/**
 * One stream per (project, type name). Versions are immutable: a schema change is a new version,
 * and publishers name the version they send (the latest when they do not). Deprecation refuses
 * new subscriptions to the type but keeps accepting and delivering its events: existing
 * subscribers must not lose them.
 */
export const eventTypeDecider: Decider<EventTypeCommand, EventTypeEvent, EventTypeState> = {
  initialState: () => ({ status: 'none' }),
  eventTypes: EVENT_TYPE_EVENT_TYPES,

  evolve(state, event) {
    switch (event.type) {
      case 'webhook.event_type.registered': {
        const d = event.data;
        return { status: 'live', projectId: d.projectId, name: d.name, description: d.description, versions: [versionOf(d)], deprecated: null, createdAt: d.at, updatedAt: d.at };
      }
      case 'webhook.event_type.version_added':
        if (state.status !== 'live') return state;
        return {
          ...state,
          description: event.data.description ?? state.description,
          versions: [...state.versions, versionOf(event.data)],
          updatedAt: event.data.at,
        };
      case 'webhook.event_type.deprecated':
        if (state.status !== 'live') return state;
        return { ...state, deprecated: { reason: event.data.reason, at: event.data.at, by: event.data.by }, updatedAt: event.data.at };
      default:
        return assertNever(event);
    }
  },

  decide(command, state) {
    const at = command.now.toISOString();
    switch (command.type) {
      case 'RegisterEventType':
        if (state.status === 'live') throw new ConflictError(`event type ${command.name} is already registered; add a version to change its schema`, { field: 'name' });
        return [
          {
            type: 'webhook.event_type.registered',
            data: {
              projectId: command.projectId,
              name: command.name,
              description: command.description,
              version: 1,
              schema: command.schema,
              examples: command.examples,
              at,
              by: command.by,
            },
          },
        ];
      case 'AddEventTypeVersion': {
        if (state.status !== 'live') throw new NotFoundError(`event type ${command.name} not found`);
        const version = state.versions.length + 1;
        return [
          {
            type: 'webhook.event_type.version_added',
            data: {
              projectId: command.projectId,
              name: command.name,
              ...(command.description !== undefined ? { description: command.description } : {}),
              version,
              schema: command.schema,
              examples: command.examples,
              at,
              by: command.by,
            },
          },
        ];
      }
      case 'DeprecateEventType':
        if (state.status !== 'live') throw new NotFoundError(`event type ${command.name} not found`);
        // Deprecating again changes nothing (the first reason and time stand).
        if (state.deprecated) return [];
        return [{ type: 'webhook.event_type.deprecated', data: { projectId: command.projectId, name: command.name, reason: command.reason, at, by: command.by } }];
      default:
        return assertNever(command);
    }
  },
};
