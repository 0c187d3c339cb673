import { Injectable } from '@nestjs/common';
import { EventStore, handleCommand } from '@stagehook/event-store';
import { eventTypeDecider, type EventTypeCommand } from '../domain/event-type.decider.js';

/** One event stream per project and type name; names are unique per project. */
export const eventTypeStreamId = (projectId: string, name: string) => `eventtype-${projectId}/${name}`;

/** The write side of the catalogue: event-type streams. Reads go through EventTypeQueryRepository. */
@Injectable()
export class EventTypeRepository {
  constructor(private readonly store: EventStore) {}

  async execute(command: EventTypeCommand, meta: { requestId?: string }): Promise<void> {
    await handleCommand(this.store, eventTypeStreamId(command.projectId, command.name), eventTypeDecider, command, {
      metadata: { source: 'webhooks', projectId: command.projectId, ...(meta.requestId ? { correlationId: meta.requestId } : {}) },
      retries: command.type === 'RegisterEventType' ? 0 : 3,
      streamType: 'eventtype',
    });
  }
}
