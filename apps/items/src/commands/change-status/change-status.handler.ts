import { Injectable } from '@nestjs/common';
import type { ItemStatus } from '@stagehook/contracts';
import type { ItemCommand } from '../../domain/item.decider.js';
import { ItemsQueryRepository } from '../../persistence/items.query-repository.js';
import { ItemsRepository } from '../../persistence/items.repository.js';
import { metadataFor } from '../shared/item-commands.js';

/** A status change by hand: it follows the lifecycle (status-rules.ts, `manual`). */
@Injectable()
export class ChangeStatusHandler {
  constructor(
    private readonly items: ItemsQueryRepository,
    private readonly repo: ItemsRepository,
  ) {}

  async handle(
    projectId: string,
    itemId: string,
    to: ItemStatus,
    changedBy: string,
    reason: string | null,
    correlationId?: string,
  ): Promise<{ status: ItemStatus; version: number }> {
    const { dataset = null } = await this.items.requireItemAndDataset(projectId, itemId);
    const command: ItemCommand = { type: 'ChangeStatus', to, changedBy, reason, source: 'manual', now: new Date(), dataset };
    const res = await this.repo.handle(itemId, command, metadataFor(projectId, correlationId));
    return { status: res.state.status, version: res.version };
  }
}
