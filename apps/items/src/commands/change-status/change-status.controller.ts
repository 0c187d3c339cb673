import { Body, Controller, Post, HttpCode, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { ItemStatus } from '@stagehook/contracts';
import { Actor, ProjectId, RequestId, type TokenActor } from '@stagehook/platform';
import { changedByFor } from '../../domain/actor.js';
import { ItemIdParams } from '../../queries/query-items/query-items.dto.js';
import { ChangeStatusDto } from './change-status.dto.js';
import { ChangeStatusHandler } from './change-status.handler.js';

@ApiTags('items')
@ApiBearerAuth()
@Controller('items/:itemId/status')
export class ChangeStatusController {
  constructor(private readonly handler: ChangeStatusHandler) {}

  /** Follows the lifecycle (status-rules.ts); an illegal move is a 409 naming both statuses. */
  @Post()
  @HttpCode(200)
  change(
    @ProjectId() projectId: string,
    @Actor() actor: TokenActor | undefined,
    @Param() p: ItemIdParams,
    @Body() body: ChangeStatusDto,
    @RequestId() rid?: string,
  ): Promise<{ status: ItemStatus; version: number }> {
    return this.handler.handle(projectId, p.itemId, body.to, changedByFor(actor, body.changedBy), body.reason ?? null, rid);
  }
}
