import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { MAX_CUSTOM_HEADERS, PAYLOAD_FORMATS, type PayloadFormat } from '@stagehook/contracts';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsInt, IsOptional, IsString, Length, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { CustomHeaderDto, EndpointFiltersDto, HasUsableHeaders, HEADER_VALUE, IsAbsoluteUrl, RetryPolicyDto } from '../shared/endpoint-settings.dto.js';

export class CreateEndpointDto {
  @ApiProperty({ maxLength: 200 })
  @IsString()
  @Length(1, 200)
  name!: string;

  @ApiPropertyOptional({ maxLength: 2000 })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string;

  @ApiProperty({ example: 'https://hooks.example.com/stagehook', description: 'http(s); must not be or resolve to an internal address' })
  @IsString()
  @MaxLength(2048)
  @IsAbsoluteUrl()
  url!: string;

  @ApiPropertyOptional({
    type: [String],
    example: ['item.status.changed', 'workflow.*'],
    description: "Exact types, prefix wildcards ('item.*') or '*'; empty for a stage-only endpoint",
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MaxLength(200, { each: true })
  eventTypes?: string[];

  @ApiPropertyOptional({ type: EndpointFiltersDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => EndpointFiltersDto)
  filters?: EndpointFiltersDto;

  @ApiPropertyOptional({ default: true })
  @IsOptional()
  @IsBoolean()
  includeAnnotations?: boolean;

  @ApiPropertyOptional({ enum: PAYLOAD_FORMATS, default: 'standard', description: 'standard envelope, V7 Darwin document (webhook stages), or a Slack incoming-webhook message' })
  @IsOptional()
  @IsIn(PAYLOAD_FORMATS)
  payloadFormat?: PayloadFormat;

  @ApiPropertyOptional({ minimum: 1000, maximum: 60_000, default: 15_000 })
  @IsOptional()
  @IsInt()
  @Min(1000)
  @Max(60_000)
  timeoutMs?: number;

  @ApiPropertyOptional({ type: RetryPolicyDto, nullable: true })
  @IsOptional()
  @ValidateNested()
  @Type(() => RetryPolicyDto)
  retryPolicy?: RetryPolicyDto | null;

  @ApiPropertyOptional({ type: [CustomHeaderDto], maxItems: MAX_CUSTOM_HEADERS })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_CUSTOM_HEADERS)
  @ValidateNested({ each: true })
  @Type(() => CustomHeaderDto)
  @HasUsableHeaders()
  headers?: CustomHeaderDto[];

  @ApiPropertyOptional({ type: String, writeOnly: true, nullable: true, description: 'Sent as the Authorization header; write-only, shown masked' })
  @IsOptional()
  @IsString()
  @Length(1, 4096)
  @Matches(HEADER_VALUE, { message: 'authorization must not contain line breaks' })
  authorization?: string | null;
}
