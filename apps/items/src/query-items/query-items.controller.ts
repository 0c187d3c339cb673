import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { ProjectId } from '@stagehook/platform';
import type { StoredEvent } from '@stagehook/event-store';
import { IsStreamVersion } from '@stagehook/contracts';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { GetItemQuery, ItemIdParams, ListItemsQuery } from '../items/dto.js';
import { ItemsService, type ItemResponse } from '../items/items.service.js';
import type { ItemView } from '../persistence/items.repository.js';

export class HistoryQuery {
  @ApiPropertyOptional({ default: 0 }) @IsOptional() @Type(() => Number) @IsStreamVersion(0) afterVersion?: number;
  @ApiPropertyOptional({ default: 100, maximum: 500 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(500) limit?: number;
}

@ApiTags('items')
@ApiBearerAuth()
@Controller('items')
export class QueryItemsController {
  constructor(private readonly items: ItemsService) {}

  @Get()
  list(@ProjectId() projectId: string, @Query() q: ListItemsQuery): Promise<{ items: ItemView[]; nextCursor: string | null }> {
    return this.items.list(projectId, { datasetId: q.datasetId, status: q.status, tag: q.tag, cursor: q.cursor, limit: q.limit ?? 100 });
  }

  @Get(':itemId')
  get(@ProjectId() projectId: string, @Param() p: ItemIdParams, @Query() q: GetItemQuery): Promise<ItemResponse> {
    return this.items.get(projectId, p.itemId, q.annotations === 'true');
  }

  /** The item's events in stream order, a page at a time (`afterVersion` = the previous page's `nextAfterVersion`). */
  @Get(':itemId/history')
  async history(@ProjectId() projectId: string, @Param() p: ItemIdParams, @Query() q: HistoryQuery) {
    const { events, nextAfterVersion } = await this.items.history(projectId, p.itemId, q.afterVersion ?? 0, q.limit ?? 100);
    return {
      events: events.map((e: StoredEvent) => ({ version: e.streamVersion, id: e.id, type: e.type, data: e.data, createdAt: e.createdAt.toISOString() })),
      nextAfterVersion,
    };
  }
}
