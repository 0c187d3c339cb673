import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { BadRequestError, ProjectId, foundInProject } from '@stagehook/platform';
import { DeliveryInProgressError, DeliveryNotFoundError, EndpointNotFoundError } from '../../domain/errors.js';
import { DispatcherHost } from '../../commands/attempt-delivery/dispatcher.host.js';
import { DeliveryRepository, type DeliveryCursor, type DeliverySummary } from '../../persistence/delivery-read.repository.js';
import { EndpointRepository } from '../../persistence/endpoint.repository.js';
import { DeliveryIdParam, EndpointIdParam, ListDeliveriesQuery, ListMessagesQuery, RecoverBody } from './list-deliveries.dto.js';

function encodeCursor(d: DeliverySummary): string {
  return Buffer.from(JSON.stringify([d.cursor.createdUs, d.id])).toString('base64url');
}

function decodeCursor(c: string): DeliveryCursor {
  try {
    const [createdUs, id] = JSON.parse(Buffer.from(c, 'base64url').toString('utf8')) as [unknown, unknown];
    if (typeof createdUs !== 'string' || !/^\d{1,20}$/.test(createdUs) || typeof id !== 'string' || !/^[0-9a-f-]{36}$/i.test(id)) throw new Error('bad');
    return { createdUs, id };
  } catch {
    throw new BadRequestError('cursor is not a cursor this API returned');
  }
}

@ApiTags('deliveries')
@ApiBearerAuth()
@Controller()
export class DeliveriesController {
  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly endpoints: EndpointRepository,
    private readonly host: DispatcherHost,
  ) {}

  @Get('deliveries')
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

  @Get('messages')
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
    const last = rows[rows.length - 1];
    return {
      data: rows.map(({ cursor: _c, ...m }) => m),
      nextCursor: rows.length === limit && last ? Buffer.from(JSON.stringify([last.cursor.createdUs, last.id])).toString('base64url') : null,
    };
  }

  @Get('deliveries/:id')
  async get(@ProjectId() projectId: string, @Param() p: DeliveryIdParam) {
    const { cursor: _c, ...d } = foundInProject(await this.deliveries.get(p.id), projectId, `delivery ${p.id}`);
    return d;
  }

  @Get('deliveries/:id/attempts')
  async attempts(@ProjectId() projectId: string, @Param() p: DeliveryIdParam) {
    foundInProject(await this.deliveries.get(p.id), projectId, `delivery ${p.id}`);
    return { data: await this.deliveries.attempts(p.id) };
  }

  /** One more attempt now, no follow-on retries (Svix's resend). */
  @Post('deliveries/:id/redeliver')
  @HttpCode(202)
  async redeliver(@ProjectId() projectId: string, @Param() p: DeliveryIdParam) {
    const d = await this.deliveries.get(p.id);
    if (!d || d.projectId !== projectId) throw new DeliveryNotFoundError(p.id);
    const r = await this.deliveries.redeliver(p.id);
    if (r === 'pending') throw new DeliveryInProgressError(p.id);
    if (r === 'missing') throw new DeliveryNotFoundError(p.id);
    this.host.dispatcher.wake();
    return { id: p.id, status: 'pending' };
  }

  @Post('endpoints/:id/recover')
  @HttpCode(202)
  async recover(@ProjectId() projectId: string, @Param() p: EndpointIdParam, @Body() body: RecoverBody) {
    const ep = await this.endpoints.get(p.id);
    if (!ep || ep.projectId !== projectId) throw new EndpointNotFoundError(p.id);
    const queued = await this.deliveries.recoverFailed(p.id, new Date(body.since));
    this.host.dispatcher.wake();
    return { endpointId: p.id, queued };
  }

  @Get('endpoints/:id/circuit')
  async circuit(@ProjectId() projectId: string, @Param() p: EndpointIdParam) {
    const ep = await this.endpoints.get(p.id);
    if (!ep || ep.projectId !== projectId) throw new EndpointNotFoundError(p.id);
    return {
      endpointId: p.id,
      // Per process: each replica has its own breaker; this is the answering replica's view.
      state: this.host.breakers.state(p.id),
      disabled: ep.disabledAt !== null,
      disabledAt: ep.disabledAt,
      disabledReason: ep.disabledReason,
      failingSince: ep.failingSince,
      lastSuccessAt: ep.lastSuccessAt,
    };
  }
}
