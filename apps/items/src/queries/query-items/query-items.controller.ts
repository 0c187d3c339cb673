import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ProjectId } from '@stagehook/platform';
import type { StoredEvent } from '@stagehook/event-store';
import type { Annotation } from '../../domain/annotation.js';
import { annotationsOf } from '../../domain/item.decider.js';
import { ItemsQueryRepository, type ItemView } from '../../persistence/items.query-repository.js';
import { GetItemQuery, HistoryQuery, ItemIdParams, ListItemsQuery } from './query-items.dto.js';

export interface ItemResponse extends ItemView {
  annotations?: Annotation[];
}

@ApiTags('items')
@ApiBearerAuth()
@Controller('items')
export class QueryItemsController {
  constructor(private readonly items: ItemsQueryRepository) {}

  @Get()
  list(@ProjectId() projectId: string, @Query() q: ListItemsQuery): Promise<{ items: ItemView[]; nextCursor: string | null }> {
    return this.items.list(projectId, { datasetId: q.datasetId, status: q.status, tag: q.tag, cursor: q.cursor, limit: q.limit ?? 100 });
  }

  @Get(':itemId')
  async get(@ProjectId() projectId: string, @Param() p: ItemIdParams, @Query() q: GetItemQuery): Promise<ItemResponse> {
    const view = await this.items.requireItem(projectId, p.itemId);
    if (q.annotations !== 'true') return view;
    const { state } = await this.items.load(p.itemId);
    return { ...view, annotations: [...annotationsOf(state).values()] };
  }

  /** The item's events in stream order, a page at a time (`afterVersion` = the previous page's `nextAfterVersion`). */
  @Get(':itemId/history')
  async history(@ProjectId() projectId: string, @Param() p: ItemIdParams, @Query() q: HistoryQuery) {
    const afterVersion = q.afterVersion ?? 0;
    const view = await this.items.requireItem(projectId, p.itemId);
    const events = await this.items.history(p.itemId, afterVersion, q.limit ?? 100);
    const last = events.length > 0 ? events[events.length - 1].streamVersion : afterVersion;
    return {
      events: events.map((e: StoredEvent) => ({ version: e.streamVersion, id: e.id, type: e.type, data: e.data, createdAt: e.createdAt.toISOString() })),
      nextAfterVersion: last < view.version ? last : null,
    };
  }
}
