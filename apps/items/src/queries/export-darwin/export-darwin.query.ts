import { Inject, Injectable } from '@nestjs/common';
import type { DarwinDocument, ItemSummary } from '@stagehook/contracts';
import { NotFoundError } from '@stagehook/platform';
import { ItemsConfig } from '../../config.js';
import { toDarwin } from '../../domain/darwin-export.js';
import { ItemsQueryRepository, toSummary } from '../../persistence/items.query-repository.js';

/** The Darwin export, for the HTTP endpoint and the `darwinExport` RPC alike. */
@Injectable()
export class ExportDarwinQuery {
  constructor(
    private readonly items: ItemsQueryRepository,
    @Inject(ItemsConfig) private readonly config: ItemsConfig,
  ) {}

  /** The Darwin document exactly as of `version` (latest when absent), and the item summary then. */
  async exportDarwin(projectId: string, itemId: string, version?: number): Promise<{ item: ItemSummary; darwin: DarwinDocument }> {
    // The project's name does not depend on the item: asked alongside, not after.
    const [{ view, dataset }, team] = await Promise.all([this.items.requireItemAndDataset(projectId, itemId), this.items.projectRecently(projectId)]);
    if (!dataset) throw new NotFoundError(`dataset of item ${itemId} not found`);
    const { state, version: at } = await this.items.load(itemId, version);
    return {
      item: toSummary(view, dataset, state, at),
      darwin: toDarwin(state, { dataset, team, workviewBaseUrl: this.config.WORKVIEW_BASE_URL }),
    };
  }
}
