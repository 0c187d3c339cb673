import { Body, Controller, Post, HttpCode, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { ITEM_STATUSES, type ItemStatus } from '@stagehook/contracts';
import { Actor, ProjectId, RequestId, type TokenActor } from '@stagehook/platform';
import { IsIn, IsOptional, IsString, Length, MaxLength } from 'class-validator';
import { changedByFor } from '../domain/actor.js';
import { ItemIdParams } from '../items/dto.js';
import { ItemsService } from '../items/items.service.js';

export class ChangeStatusDto {
  @ApiProperty({ enum: ITEM_STATUSES }) @IsIn(ITEM_STATUSES) to!: ItemStatus;
  @ApiPropertyOptional({
    description:
      "Who changes it: taken from the token's user or service (`user:<id>`, `service:<id>`); if sent it must name that actor (403 otherwise). Required only with a project-only token.",
  })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  changedBy?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(1000) reason?: string;
}

@ApiTags('items')
@ApiBearerAuth()
@Controller('items/:itemId/status')
export class ChangeStatusController {
  constructor(private readonly items: ItemsService) {}

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
    return this.items.changeStatus(projectId, p.itemId, body.to, changedByFor(actor, body.changedBy), body.reason ?? null, rid);
  }
}
