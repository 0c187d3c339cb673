import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ID_PATTERN } from '@stagehook/contracts';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';

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
