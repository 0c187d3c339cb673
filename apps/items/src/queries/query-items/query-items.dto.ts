import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsStreamVersion, ITEM_STATUSES, type ItemStatus } from '@stagehook/contracts';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min } from 'class-validator';

export class ItemIdParams {
  @ApiProperty()
  @IsUUID()
  itemId!: string;
}

export class ListItemsQuery {
  @ApiPropertyOptional() @IsOptional() @IsUUID() datasetId?: string;
  @ApiPropertyOptional({ enum: ITEM_STATUSES }) @IsOptional() @IsIn(ITEM_STATUSES) status?: ItemStatus;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(200) tag?: string;
  @ApiPropertyOptional({ description: 'nextCursor of the previous page' }) @IsOptional() @Matches(/^\d{1,18}$/) cursor?: string;
  @ApiPropertyOptional({ default: 100, maximum: 500 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(500) limit?: number;
}

export class GetItemQuery {
  @ApiPropertyOptional({ description: 'include annotations' }) @IsOptional() @IsIn(['true', 'false']) annotations?: 'true' | 'false';
}

export class HistoryQuery {
  @ApiPropertyOptional({ default: 0 }) @IsOptional() @Type(() => Number) @IsStreamVersion(0) afterVersion?: number;
  @ApiPropertyOptional({ default: 100, maximum: 500 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(500) limit?: number;
}
