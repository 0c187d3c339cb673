import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsStreamVersion } from '@stagehook/contracts';
import { Type } from 'class-transformer';
import { IsOptional } from 'class-validator';

export class VersionQuery {
  @ApiPropertyOptional({ description: 'A past version; the latest when absent' })
  @IsOptional()
  @Type(() => Number)
  @IsStreamVersion()
  version?: number;
}
