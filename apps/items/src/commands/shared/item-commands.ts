import { Injectable } from '@nestjs/common';
import type { EventMetadata } from '@stagehook/contracts';
import { MetricsService } from '@stagehook/platform';
import type { Counter } from 'prom-client';
import type { EntityManager } from 'typeorm';
import { ItemNotFoundError } from '../../domain/errors.js';
import type { ItemCommand, ItemState } from '../../domain/item.decider.js';
import { ItemsRepository } from '../../persistence/items.repository.js';

export const metadataFor = (projectId: string, correlationId?: string): EventMetadata => ({
  source: 'items',
  projectId,
  ...(correlationId ? { correlationId } : {}),
});

/** The item use cases' shared shell: decide through the repository on an item of the project, count. */
@Injectable()
export class ItemCommands {
  private readonly annotationsAdded: Counter;

  constructor(
    private readonly repo: ItemsRepository,
    metrics: MetricsService,
  ) {
    this.annotationsAdded = metrics.counter({ name: 'stagehook_items_annotations_added_total', help: 'Annotations added (REST, bulk and import)' });
  }

  /**
   * Decides `command` on the item, refused as not found unless it is the project's. The check is
   * made on the state the command is decided on (a registered item's project never changes), not
   * on a read of `items_view` first: on this process's cached state a command is then one round
   * trip, the append. A command that depends on the item (its slots) is a function of that state.
   */
  async decide(
    projectId: string,
    itemId: string,
    command: ItemCommand | ((state: ItemState) => ItemCommand),
    correlationId?: string,
    manager?: EntityManager,
  ): Promise<{ state: ItemState; version: number }> {
    const res = await this.repo.handle(
      itemId,
      (state) => {
        if (!state.exists || state.projectId !== projectId) throw new ItemNotFoundError(itemId);
        return typeof command === 'function' ? command(state) : command;
      },
      metadataFor(projectId, correlationId),
      manager,
    );
    return { state: res.state, version: res.version };
  }

  countAnnotationsAdded(n: number): void {
    this.annotationsAdded.inc(n);
  }
}
