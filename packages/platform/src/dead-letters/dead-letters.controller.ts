import { Body, type CanActivate, Controller, type ExecutionContext, Get, HttpCode, Inject, Injectable, Param, Post, Query, UseGuards, type FactoryProvider } from '@nestjs/common';
import { ApiBearerAuth, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { ConsumerRegistry, DeadLetterRedrive, MAX_REPLAY_ALL, RedriveError, type DeadLetter, type RedriveResult } from '@stagehook/messaging';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { DataSource } from 'typeorm';
import { BaseConfig } from '../config/base-config.js';
import { ConflictError, NotFoundError } from '../errors/domain-error.js';
import type { PlatformRequest } from '../http/request.js';
import { NATS_CONNECTION, type NatsConnection } from '../nats/nats.provider.js';

const CONSUMER = /^[A-Za-z0-9_-]{1,200}$/;
const ROW_ID = /^[1-9]\d{0,17}$/;

export class DeadLetterIdParam {
  @ApiProperty({ description: 'Dead letter id (a row of msg_dead_letters)' })
  @Matches(ROW_ID, { message: 'must be a dead letter id' })
  id!: string;
}

export class ListDeadLettersQuery {
  @ApiPropertyOptional({ description: 'The consumer (durable) that gave up, e.g. delivery-stage-entered' })
  @IsOptional()
  @Matches(CONSUMER, { message: 'must be a consumer name' })
  consumer?: string;
  @ApiPropertyOptional({ description: 'Reason contains this text (case-insensitive)' }) @IsOptional() @IsString() @MaxLength(200) reason?: string;
  @ApiPropertyOptional({ description: 'Only those no replay has resolved yet' })
  @IsOptional()
  @Matches(/^(true|false)$/, { message: 'must be true or false' })
  unresolved?: string;
  @ApiPropertyOptional({ description: 'nextBeforeId of the previous page' })
  @IsOptional()
  @Matches(ROW_ID, { message: 'must be a dead letter id' })
  beforeId?: string;
  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}

export class ReplayDeadLettersBody {
  @ApiPropertyOptional() @IsOptional() @Matches(CONSUMER, { message: 'must be a consumer name' }) consumer?: string;
  @ApiPropertyOptional({ description: 'Reason contains this text (case-insensitive)' }) @IsOptional() @IsString() @MaxLength(200) reason?: string;
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_REPLAY_ALL, default: 100 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_REPLAY_ALL)
  limit?: number;
}

/** A dead letter as listed: everything but the payload. */
function summary(d: DeadLetter) {
  return {
    id: d.id,
    consumer: d.consumer,
    reason: d.reason,
    eventId: d.eventId,
    eventType: d.eventType,
    stream: d.stream,
    subject: d.subject,
    streamSeq: d.streamSeq,
    deliveryCount: d.deliveryCount,
    payloadBytes: d.payloadBytes,
    createdAt: d.createdAt,
    replayedAt: d.replayedAt,
    replayCount: d.replayCount,
    replayOutcome: d.replayOutcome,
  };
}

/**
 * Operators' dead-letter redrive, mounted by every service that runs consumers (with
 * `deadLetterRedriveProvider()`): `GET /dead-letters`, `GET /dead-letters/:id`,
 * `POST /dead-letters/:id/replay`, `POST /dead-letters/replay`.
 *
 * Dead letters belong to the service, not to a project: a malformed message may name no project
 * or a false one, and one broken dependency dead-letters many projects' events at once. So the
 * API is for operators only: a project token whose project is listed in DEAD_LETTER_OPERATORS
 * (mint one with `npm run token -- --project <operator project>`). Anyone else gets 404, as for
 * any resource of another project.
 */
/**
 * Only operators reach the routes, and the check runs as a guard, before the pipes validate
 * parameters: anyone else gets the same 404 for any id, well formed or not, and learns nothing.
 */
@Injectable()
export class DeadLetterOperatorsGuard implements CanActivate {
  constructor(@Inject(BaseConfig) private readonly config: BaseConfig) {}

  canActivate(ctx: ExecutionContext): boolean {
    const req = ctx.switchToHttp().getRequest<PlatformRequest>();
    if (!req.auth || !this.config.DEAD_LETTER_OPERATORS.includes(req.auth.sub)) throw new NotFoundError('not found');
    return true;
  }
}

@ApiTags('dead-letters')
@ApiBearerAuth()
@Controller('dead-letters')
@UseGuards(DeadLetterOperatorsGuard)
export class DeadLettersController {
  constructor(@Inject(DeadLetterRedrive) private readonly redrive: DeadLetterRedrive) {}

  @Get()
  async list(@Query() q: ListDeadLettersQuery) {
    const limit = q.limit ?? 50;
    const rows = await this.redrive.list({ consumer: q.consumer, reason: q.reason, unresolved: q.unresolved === 'true', beforeId: q.beforeId, limit });
    return { consumers: this.redrive.consumers, items: rows.map(summary), nextBeforeId: rows.length === limit ? rows[rows.length - 1].id : null };
  }

  @Get(':id')
  async show(@Param() p: DeadLetterIdParam) {
    const d = await this.redrive.get(p.id);
    if (!d) throw new NotFoundError(`dead letter ${p.id} not found`);
    return { ...summary(d), payload: d.payload, payloadEncoding: d.payloadEncoding, payloadTruncated: d.payloadTruncated, headers: d.headers, storedAt: d.storedAt };
  }

  @Post(':id/replay')
  @HttpCode(200)
  async replay(@Param() p: DeadLetterIdParam): Promise<RedriveResult> {
    const r = await this.redriving(() => this.redrive.replay(p.id));
    if (!r) throw new NotFoundError(`dead letter ${p.id} not found`);
    return r;
  }

  @Post('replay')
  @HttpCode(200)
  async replayAll(@Body() body: ReplayDeadLettersBody) {
    const results = await this.redriving(() => this.redrive.replayAll({ consumer: body.consumer, reason: body.reason }, body.limit ?? 100));
    const counts: Record<string, number> = {};
    for (const r of results) counts[r.outcome] = (counts[r.outcome] ?? 0) + 1;
    return { replayed: results.length, counts, results };
  }

  private async redriving<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof RedriveError) throw new ConflictError(err.message, { reason: err.code });
      throw err;
    }
  }
}

/**
 * The DeadLetterRedrive of the service's consumers: those the JetStream transport runs, built when
 * the app listens, so they are listed when a redrive asks.
 */
export function deadLetterRedriveProvider(): FactoryProvider<DeadLetterRedrive> {
  return {
    provide: DeadLetterRedrive,
    inject: [DataSource, NATS_CONNECTION, ConsumerRegistry],
    useFactory: (ds: DataSource, nats: NatsConnection, registry: ConsumerRegistry) => new DeadLetterRedrive(ds, () => registry.runners, nats),
  };
}
