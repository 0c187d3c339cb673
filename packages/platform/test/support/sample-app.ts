import { setTimeout as sleep } from 'node:timers/promises';
import { Body, Controller, Get, Inject, Injectable, Module, type BeforeApplicationShutdown, type OnModuleDestroy, Param, ParseIntPipe, Post, Query } from '@nestjs/common';
import { ApiProperty, ApiTags } from '@nestjs/swagger';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsInt, IsNotEmpty, IsOptional, IsString, Min, ValidateNested } from 'class-validator';
import type { Logger } from 'pino';
import type { MigrationInterface, QueryRunner } from 'typeorm';
import { assertSameProject, BaseConfig, LOGGER, NATS_CONNECTION, type NatsConnection, NotFoundError, ProjectId, Public, typeOrmOptions } from '../../src/index.js';

export class CreateSampleThings1700000000000 implements MigrationInterface {
  name = 'CreateSampleThings1700000000000';
  async up(q: QueryRunner): Promise<void> {
    await q.query('CREATE TABLE sample_things (id text PRIMARY KEY, project_id text NOT NULL)');
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE sample_things');
  }
}

class SizeDto {
  @ApiProperty() @IsInt() @Min(1) width!: number;
  @ApiProperty() @IsInt() @Min(1) height!: number;
}

class ItemDto {
  @ApiProperty() @IsString() @IsNotEmpty() name!: string;
  @ApiProperty({ type: SizeDto }) @ValidateNested() @Type(() => SizeDto) size!: SizeDto;
  @ApiProperty({ required: false }) @IsOptional() @IsString() note?: string;
}

export class CreateBatchDto {
  @ApiProperty({ type: [ItemDto] })
  @IsArray()
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => ItemDto)
  items!: ItemDto[];
}

/** Lets a test hold a request in flight and see when the app's hooks ran relative to it. */
@Injectable()
export class ShutdownProbe implements OnModuleDestroy, BeforeApplicationShutdown {
  readonly events: string[] = [];
  private release: (() => void) | undefined;
  private readonly gate: Promise<void>;
  hang = false;

  constructor(@Inject(NATS_CONNECTION) private readonly nc: NatsConnection) {
    this.gate = new Promise((resolve) => (this.release = resolve));
  }

  async held(): Promise<void> {
    this.events.push('request started');
    await this.gate;
    this.events.push('request finished');
  }

  open(): void {
    this.release?.();
  }

  async onModuleDestroy(): Promise<void> {
    this.events.push('onModuleDestroy');
    // Stands in for a consumer that never drains.
    if (this.hang) await new Promise(() => undefined);
  }

  beforeApplicationShutdown(): void {
    this.events.push(`beforeApplicationShutdown (nats ${this.nc.isClosed() ? 'closed' : 'open'})`);
  }
}

const OWNERS: Record<string, string> = { 'thing-1': 'proj-a' };

@ApiTags('samples')
@Controller('samples')
export class SampleController {
  constructor(@Inject(ShutdownProbe) private readonly probe: ShutdownProbe) {}

  @Post(':datasetId/batches')
  create(@ProjectId() projectId: string, @Param('datasetId') datasetId: string, @Body() dto: CreateBatchDto) {
    return {
      projectId,
      datasetId,
      count: dto.items.length,
      transformed: dto instanceof CreateBatchDto && dto.items.every((i) => i instanceof ItemDto && i.size instanceof SizeDto),
    };
  }

  @Get('things/:id')
  thing(@ProjectId() projectId: string, @Param('id') id: string) {
    const owner = OWNERS[id];
    if (owner === undefined) throw new NotFoundError(`thing ${id} not found`);
    assertSameProject(owner, projectId, `thing ${id}`);
    return { id, projectId };
  }

  @Get('boom')
  boom(): never {
    throw new Error('pg: password authentication failed for user "svc" (internal detail)');
  }

  @Get('conflict')
  conflict(): never {
    // What the event store throws: a plain Error with a code, not a DomainError.
    throw Object.assign(new Error('stream item-1 expected version 3, found 4'), { name: 'ConcurrencyConflictError', code: 'CONCURRENCY_CONFLICT' });
  }

  @Get('held')
  async held() {
    await this.probe.held();
    return { ok: true };
  }

  @Public()
  @Get('slow')
  async slow(@Query('ms', ParseIntPipe) ms: number) {
    await sleep(ms);
    return { ok: true, ms };
  }

  @Public()
  @Get('public')
  misuse(@ProjectId() projectId: string) {
    return { projectId };
  }
}

@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [BaseConfig, LOGGER],
      useFactory: (config: BaseConfig, logger: Logger) => typeOrmOptions(config, { entities: [], migrations: [CreateSampleThings1700000000000], logger, retryAttempts: 1 }),
    }),
  ],
  controllers: [SampleController],
  providers: [ShutdownProbe],
})
export class SampleAppModule {}
