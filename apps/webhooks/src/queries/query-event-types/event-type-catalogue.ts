import { Injectable } from '@nestjs/common';
import { SUBSCRIBABLE_EVENT_TYPES } from '@stagehook/contracts';
import { NotFoundError } from '@stagehook/platform';
import { builtinEventTypes } from '../../domain/builtin-schemas.js';
import { EventTypeQueryRepository } from '../../persistence/event-type.query-repository.js';
import { builtinView, customView, type EventTypeView } from './event-type.view.js';

/** The catalogue as readers see it: built-in types (from the contracts) and the project's registered ones. */
@Injectable()
export class EventTypeCatalogue {
  constructor(private readonly repo: EventTypeQueryRepository) {}

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
}
