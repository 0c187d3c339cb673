import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ID_PATTERN, IsStreamVersion } from '@stagehook/contracts';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsInt, IsOptional, IsString, Length, Matches, Max, MaxLength, Min } from 'class-validator';
import type { StageActionCommand } from '../domain/item.decider.js';
import { MAX_BULK_ITEMS } from './item-commands.service.js';

export class AddItemsDto {
  @ApiProperty({ type: [String], maxItems: MAX_BULK_ITEMS, description: 'Item ids known to the items service' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_BULK_ITEMS)
  @IsString({ each: true })
  @Length(1, 128, { each: true })
  @Matches(ID_PATTERN, { each: true })
  itemIds!: string[];
}

export class ItemParams {
  @ApiProperty()
  @IsString()
  @Length(1, 128)
  @Matches(ID_PATTERN)
  id!: string;

  @ApiProperty()
  @IsString()
  @Length(1, 128)
  @Matches(ID_PATTERN)
  itemId!: string;
}

export const NAMED_COMMANDS = ['start', 'submit', 'approve', 'reject'] as const;

/** The decider command each named command of the route issues. */
export const STAGE_ACTION_COMMANDS = {
  start: 'StartItem',
  submit: 'SubmitItem',
  approve: 'ApproveItem',
  reject: 'RejectItem',
} as const satisfies Record<(typeof NAMED_COMMANDS)[number], StageActionCommand>;

export class CommandParams extends ItemParams {
  @ApiProperty({ enum: NAMED_COMMANDS })
  @IsIn(NAMED_COMMANDS)
  command!: (typeof NAMED_COMMANDS)[number];
}

export class CommandDto {
  @ApiPropertyOptional({ description: 'The item version the client saw (like If-Match); the frozen version is never lower than the items service reports' })
  @IsOptional()
  @IsStreamVersion(0)
  itemVersion?: number;

  @ApiPropertyOptional({ description: 'The visit acted on; 409 if the item has moved on since' })
  @IsOptional()
  @IsString()
  @Length(1, 128)
  @Matches(ID_PATTERN)
  visitId?: string;

  @ApiPropertyOptional({ description: 'Who acts (a user id)' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  by?: string;
}

export class MoveDto extends CommandDto {
  @ApiProperty({ description: 'The named edge to take', example: 'failed' })
  @IsString()
  @Length(1, 100)
  edge!: string;
}

export class SetStageDto {
  @ApiProperty()
  @IsString()
  @Length(1, 128)
  @Matches(ID_PATTERN)
  stageId!: string;

  @ApiProperty({ description: 'Who sets it' })
  @IsString()
  @Length(1, 200)
  by!: string;

  @ApiProperty({ description: 'Why' })
  @IsString()
  @Length(1, 1000)
  reason!: string;
}

export class StageItemsParams {
  @ApiProperty()
  @IsString()
  @Length(1, 128)
  @Matches(ID_PATTERN)
  id!: string;

  @ApiProperty()
  @IsString()
  @Length(1, 128)
  @Matches(ID_PATTERN)
  stageId!: string;
}

export class PageQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;

  @ApiPropertyOptional({ description: 'Item id to continue after' })
  @IsOptional()
  @IsString()
  @Length(1, 128)
  after?: string;
}

export class WaitingQuery {
  @ApiProperty({ description: 'Items that entered their webhook stage more than this many seconds ago', example: 300 })
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(365 * 86_400)
  olderThanSeconds!: number;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 128)
  @Matches(ID_PATTERN)
  workflowId?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}
