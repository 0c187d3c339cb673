import { Injectable } from '@nestjs/common';
import { checkDefinition } from '../../domain/event-type-rules.js';
import { EventTypeRepository } from '../../persistence/event-type.repository.js';
import { EventTypeCatalogue } from '../../queries/query-event-types/event-type-catalogue.js';
import type { EventTypeView } from '../../queries/query-event-types/event-type.view.js';
import type { AddEventTypeVersionDto } from './add-event-type-version.dto.js';

@Injectable()
export class AddEventTypeVersionHandler {
  constructor(
    private readonly repo: EventTypeRepository,
    private readonly catalogue: EventTypeCatalogue,
  ) {}

  async handle(projectId: string, name: string, dto: AddEventTypeVersionDto, by: string, requestId?: string): Promise<EventTypeView> {
    const examples = checkDefinition(dto.schema, dto.examples ?? []);
    await this.repo.execute(
      {
        type: 'AddEventTypeVersion',
        projectId,
        name,
        ...(dto.description !== undefined ? { description: dto.description } : {}),
        schema: dto.schema,
        examples,
        by,
        now: new Date(),
      },
      { requestId },
    );
    return this.catalogue.describe(projectId, name);
  }
}
