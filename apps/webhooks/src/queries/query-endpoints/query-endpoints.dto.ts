import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ID_PATTERN } from '@stagehook/contracts';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

export class EndpointIdParam {
  @ApiProperty()
  @IsString()
  @Matches(ID_PATTERN)
  @MaxLength(128)
  id!: string;
}

export class ListEndpointsQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;

  @ApiPropertyOptional({ description: 'The last endpoint id of the previous page' })
  @IsOptional()
  @IsString()
  @Matches(ID_PATTERN)
  @MaxLength(128)
  after?: string;
}
