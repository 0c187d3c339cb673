import { Injectable } from '@nestjs/common';
import type { EventMetadata } from '@stagehook/contracts';
import { MetricsService } from '@stagehook/platform';
import type { Counter } from 'prom-client';
import type { EntityManager } from 'typeorm';
import type { ItemCommand, ItemState } from '../../domain/item.decider.js';
import { ItemsQueryRepository, type ItemView } from '../../persistence/items.query-repository.js';
import { ItemsRepository } from '../../persistence/items.repository.js';

export const metadataFor = (projectId: string, correlationId?: string): EventMetadata => ({
  source: 'items',
  projectId,
  ...(correlationId ? { correlationId } : {}),
});

/** The item use cases' shared shell: check the item is the project's, decide through the repository, count. */
@Injectable()
export class ItemCommands {
  private readonly annotationsAdded: Counter;

  constructor(
    private readonly repo: ItemsRepository,
    private readonly items: ItemsQueryRepository,
    metrics: MetricsService,
  ) {
    this.annotationsAdded = metrics.counter({ name: 'stagehook_items_annotations_added_total', help: 'Annotations added (REST, bulk and import)' });
  }

  async decide(projectId: string, itemId: string, command: ItemCommand, correlationId?: string, manager?: EntityManager): Promise<{ state: ItemState; version: number }> {
    return this.decideOn(await this.items.requireItem(projectId, itemId), command, correlationId, manager);
  }

  /**
   * As `decide`, for a use case that already read the item's view to check the command (its
   * slots): `requireItem` checked it is the project's, and reading it again would cost every
   * command a second round trip.
   */
  async decideOn(view: ItemView, command: ItemCommand, correlationId?: string, manager?: EntityManager): Promise<{ state: ItemState; version: number }> {
    const res = await this.repo.handle(view.id, command, metadataFor(view.projectId, correlationId), manager);
    return { state: res.state, version: res.version };
  }

  countAnnotationsAdded(n: number): void {
    this.annotationsAdded.inc(n);
  }
}
