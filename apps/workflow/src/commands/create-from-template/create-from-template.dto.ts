import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ID_PATTERN } from '@stagehook/contracts';
import { IsBoolean, IsInt, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';

export class CreateTemplateDto {
  @ApiPropertyOptional({ example: 'Annotate → webhook → review' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  name?: string;

  @ApiProperty({ description: "The webhook stage's endpoint id" })
  @IsString()
  @Length(1, 128)
  @Matches(ID_PATTERN)
  endpointId!: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 20 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(20)
  maxAttempts?: number;

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  includeAnnotations?: boolean;
}
