import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ValidationFailedError, type FieldError } from '@stagehook/platform';
import type { ItemSlot } from '../../domain/item.decider.js';
import { ItemsQueryRepository, type ItemView } from '../../persistence/items.query-repository.js';
import { ItemsRepository } from '../../persistence/items.repository.js';
import { metadataFor } from '../shared/item-commands.js';

export interface NewItem {
  name: string;
  path: string;
  slots: ItemSlot[];
  metadata: Record<string, unknown>;
}

/** Registers a bulk of items in one transaction: all of them, or (a name repeated or taken) none. */
@Injectable()
export class RegisterItemsHandler {
  constructor(
    private readonly repo: ItemsRepository,
    private readonly items: ItemsQueryRepository,
  ) {}

  async handle(projectId: string, datasetId: string, items: NewItem[], correlationId?: string): Promise<ItemView[]> {
    await this.items.requireDataset(projectId, datasetId);
    const names = new Set<string>();
    const dupes: FieldError[] = [];
    items.forEach((it, i) => {
      if (names.has(it.name)) dupes.push({ path: `items[${i}].name`, messages: ['is repeated in this request'] });
      names.add(it.name);
    });
    if (dupes.length > 0) throw new ValidationFailedError(dupes);
    const now = new Date();
    const commands = items.map((it) => ({ type: 'RegisterItem' as const, itemId: randomUUID(), projectId, datasetId, ...it, now }));
    await this.repo.registerMany(commands, metadataFor(projectId, correlationId));
    const views = await Promise.all(commands.map((c) => this.items.view(c.itemId)));
    return views.filter((v): v is ItemView => v !== undefined);
  }
}
