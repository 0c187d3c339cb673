import { Injectable } from '@nestjs/common';
import { isReservedEventType, SUBSCRIBABLE_EVENT_TYPES } from '@stagehook/contracts';
import { DomainError, NotFoundError } from '@stagehook/platform';
import { InvalidSchemaError, SchemaValidationError, WebhooksErrorCode } from '../errors.js';
import { builtinEventTypes } from './builtin-schemas.js';
import type { AddEventTypeVersionDto, RegisterEventTypeDto } from './event-type.dto.js';
import { EventTypeRepository } from './event-type.repository.js';
import { builtinView, customView, type EventTypeView } from './event-type.view.js';
import { payloadProblems, schemaProblems } from './json-schemas.js';

/** The catalogue's use cases: register, version, deprecate, describe, list. */
@Injectable()
export class EventTypeCatalogue {
  constructor(private readonly repo: EventTypeRepository) {}

  async register(projectId: string, dto: RegisterEventTypeDto, by: string, requestId?: string): Promise<EventTypeView> {
    if (isReservedEventType(dto.name)) {
      throw new DomainError(WebhooksErrorCode.RESERVED_EVENT_TYPE, `name: ${dto.name} is in a domain Stagehook publishes itself (item., workflow., webhook., delivery.)`, {
        field: 'name',
      });
    }
    const examples = this.checkDefinition(dto.schema, dto.examples ?? []);
    await this.repo.execute({ kind: 'register', projectId, name: dto.name, description: dto.description, schema: dto.schema, examples, by, now: new Date() }, { requestId });
    return this.describe(projectId, dto.name);
  }

  async addVersion(projectId: string, name: string, dto: AddEventTypeVersionDto, by: string, requestId?: string): Promise<EventTypeView> {
    const examples = this.checkDefinition(dto.schema, dto.examples ?? []);
    await this.repo.execute(
      { kind: 'addVersion', projectId, name, ...(dto.description !== undefined ? { description: dto.description } : {}), schema: dto.schema, examples, by, now: new Date() },
      { requestId },
    );
    return this.describe(projectId, name);
  }

  async deprecate(projectId: string, name: string, reason: string, by: string, requestId?: string): Promise<EventTypeView> {
    await this.repo.execute({ kind: 'deprecate', projectId, name, reason, by, now: new Date() }, { requestId });
    return this.describe(projectId, name);
  }

  async describe(projectId: string, name: string): Promise<EventTypeView> {
    const builtin = builtinEventTypes().find((t) => t.name === name);
    if (builtin) return builtinView(builtin);
    const found = await this.repo.find(projectId, name);
    if (!found) throw new NotFoundError(`event type ${name} not found`);
    return customView(found);
  }

  /** Built-in types first (read-only), then the project's own, each group by name. */
  async list(projectId: string): Promise<EventTypeView[]> {
    return [...builtinEventTypes().map(builtinView), ...(await this.repo.list(projectId)).map(customView)];
  }

  /** What a subscription may name now (built-in + open custom types), and what it no longer may. */
  async subscribable(projectId: string): Promise<{ known: string[]; deprecated: string[] }> {
    const names = await this.repo.names(projectId);
    return { known: [...SUBSCRIBABLE_EVENT_TYPES, ...names.open].sort(), deprecated: names.deprecated };
  }

  private checkDefinition(schema: Record<string, unknown>, examples: Record<string, unknown>[]): Record<string, unknown>[] {
    const problems = schemaProblems(schema);
    if (problems.length > 0) throw new InvalidSchemaError(problems);
    const failing = examples.flatMap((ex, i) => payloadProblems(schema, ex, `examples[${i}]`));
    if (failing.length > 0) throw new SchemaValidationError(failing, 'examples');
    return examples;
  }
}
