import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ProjectId } from '@stagehook/platform';
import { OperationId } from '../../commands/shared/operation-id.js';
import { DeliveryReadRepository } from '../../persistence/delivery-read.repository.js';
import { decodeCursor, encodeCursor } from '../shared/cursor.js';
import { ListMessagesQuery } from './list-messages.dto.js';

@ApiTags('deliveries')
@ApiBearerAuth()
@Controller()
export class ListMessagesController {
  constructor(private readonly deliveries: DeliveryReadRepository) {}

  @Get('messages')
  @OperationId('DeliveriesController_messages')
  async messages(@ProjectId() projectId: string, @Query() q: ListMessagesQuery) {
    const limit = q.limit ?? 50;
    const rows = await this.deliveries.listMessages({
      projectId,
      eventType: q.eventType,
      itemId: q.itemId,
      since: q.since ? new Date(q.since) : undefined,
      until: q.until ? new Date(q.until) : undefined,
      after: q.cursor ? decodeCursor(q.cursor) : undefined,
      limit,
    });
    return { data: rows.map(({ cursor: _c, ...m }) => m), nextCursor: rows.length === limit ? encodeCursor(rows[rows.length - 1]) : null };
  }
}
