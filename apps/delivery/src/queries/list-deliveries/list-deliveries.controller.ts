import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ProjectId } from '@stagehook/platform';
import { OperationId } from '../../commands/shared/operation-id.js';
import { DeliveryReadRepository } from '../../persistence/delivery-read.repository.js';
import { decodeCursor, encodeCursor } from '../shared/cursor.js';
import { ListDeliveriesQuery } from './list-deliveries.dto.js';

@ApiTags('deliveries')
@ApiBearerAuth()
@Controller()
export class ListDeliveriesController {
  constructor(private readonly deliveries: DeliveryReadRepository) {}

  @Get('deliveries')
  @OperationId('DeliveriesController_list')
  async list(@ProjectId() projectId: string, @Query() q: ListDeliveriesQuery) {
    const limit = q.limit ?? 50;
    const rows = await this.deliveries.list({
      projectId,
      endpointId: q.endpointId,
      status: q.status,
      eventType: q.eventType,
      itemId: q.itemId,
      since: q.since ? new Date(q.since) : undefined,
      until: q.until ? new Date(q.until) : undefined,
      after: q.cursor ? decodeCursor(q.cursor) : undefined,
      limit,
    });
    return { data: rows.map(({ cursor: _c, ...d }) => d), nextCursor: rows.length === limit ? encodeCursor(rows[rows.length - 1]) : null };
  }
}
