import { Injectable } from '@nestjs/common';
import { assertNotReserved, checkDefinition } from '../../domain/event-type-rules.js';
import { EventTypeRepository } from '../../persistence/event-type.repository.js';
import { EventTypeCatalogue } from '../../queries/query-event-types/event-type-catalogue.js';
import type { EventTypeView } from '../../queries/query-event-types/event-type.view.js';
import type { RegisterEventTypeDto } from './register-event-type.dto.js';

@Injectable()
export class RegisterEventTypeHandler {
  constructor(
    private readonly repo: EventTypeRepository,
    private readonly catalogue: EventTypeCatalogue,
  ) {}

  async handle(projectId: string, dto: RegisterEventTypeDto, by: string, requestId?: string): Promise<EventTypeView> {
    assertNotReserved(dto.name);
    const examples = checkDefinition(dto.schema, dto.examples ?? []);
    await this.repo.execute(
      { type: 'RegisterEventType', projectId, name: dto.name, description: dto.description, schema: dto.schema, examples, by, now: new Date() },
      { requestId },
    );
    return this.catalogue.describe(projectId, dto.name);
  }
}
