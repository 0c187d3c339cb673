import { Injectable } from '@nestjs/common';
import { EventTypeRepository } from '../../persistence/event-type.repository.js';
import { EventTypeCatalogue } from '../../queries/query-event-types/event-type-catalogue.js';
import type { EventTypeView } from '../../queries/query-event-types/event-type.view.js';

@Injectable()
export class DeprecateEventTypeHandler {
  constructor(
    private readonly repo: EventTypeRepository,
    private readonly catalogue: EventTypeCatalogue,
  ) {}

  async handle(projectId: string, name: string, reason: string, by: string, requestId?: string): Promise<EventTypeView> {
    await this.repo.execute({ type: 'DeprecateEventType', projectId, name, reason, by, now: new Date() }, { requestId });
    return this.catalogue.describe(projectId, name);
  }
}
