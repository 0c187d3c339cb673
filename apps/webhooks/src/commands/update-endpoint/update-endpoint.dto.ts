import { ApiPropertyOptional } from '@nestjs/swagger';
import { MAX_CUSTOM_HEADERS, PAYLOAD_FORMATS, type PayloadFormat } from '@stagehook/contracts';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsInt, IsOptional, IsString, Length, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { EndpointFiltersDto, HasUsableHeaders, HEADER_VALUE, IsAbsoluteUrl, RetryPolicyDto, UpdateCustomHeaderDto } from '../shared/endpoint-settings.dto.js';

/** Every field optional; `authorization: null` and `retryPolicy: null` remove them. */
export class UpdateEndpointDto {
  @ApiPropertyOptional({ maxLength: 200 })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  name?: string;

  @ApiPropertyOptional({ maxLength: 2000 })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  @IsAbsoluteUrl()
  url?: string;

  @ApiPropertyOptional({ type: [String] })
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

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  includeAnnotations?: boolean;

  @ApiPropertyOptional({ enum: PAYLOAD_FORMATS })
  @IsOptional()
  @IsIn(PAYLOAD_FORMATS)
  payloadFormat?: PayloadFormat;

  @ApiPropertyOptional({ minimum: 1000, maximum: 60_000 })
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

  @ApiPropertyOptional({ type: [UpdateCustomHeaderDto], description: 'Replaces the list; a header without a value keeps its current value' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_CUSTOM_HEADERS)
  @ValidateNested({ each: true })
  @Type(() => UpdateCustomHeaderDto)
  @HasUsableHeaders()
  headers?: UpdateCustomHeaderDto[];

  @ApiPropertyOptional({ type: String, writeOnly: true, nullable: true })
  @IsOptional()
  @IsString()
  @Length(1, 4096)
  @Matches(HEADER_VALUE, { message: 'authorization must not contain line breaks' })
  authorization?: string | null;
}
