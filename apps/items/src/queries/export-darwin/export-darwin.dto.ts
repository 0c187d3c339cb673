import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsStreamVersion } from '@stagehook/contracts';
import { Type } from 'class-transformer';
import { IsOptional } from 'class-validator';

export class ExportQuery {
  @ApiPropertyOptional({ description: 'Stream version to export as of; latest when absent' })
  @IsOptional()
  @Type(() => Number)
  @IsStreamVersion()
  version?: number;
}
