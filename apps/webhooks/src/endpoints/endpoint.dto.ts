import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { HEADER_NAME_PATTERN, ID_PATTERN, ITEM_STATUSES, MAX_CUSTOM_HEADERS, PAYLOAD_FORMATS, type ItemStatus, type PayloadFormat } from '@stagehook/contracts';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsInt, IsOptional, IsString, Length, Matches, Max, MaxLength, Min, ValidateBy, ValidateNested } from 'class-validator';

/**
 * Headers the delivery service sets itself; a custom header may not override them (a custom
 * `Authorization` would bypass the sealed one, a custom `webhook-signature` would forge one).
 */
/**
 * Headers Stagehook sets itself, and hop-by-hop headers (RFC 9110 §7.6.1) that would change how
 * the request travels rather than what it says (`expect: 100-continue` stalls undici, `upgrade`
 * switches protocols, `proxy-*` talks to proxies).
 */
const RESERVED_HEADERS = new Set([
  'authorization',
  'content-type',
  'content-length',
  'host',
  'connection',
  'transfer-encoding',
  'user-agent',
  'cookie',
  'expect',
  'upgrade',
  'keep-alive',
  'te',
  'trailer',
]);
const RESERVED_PREFIXES = ['webhook-', 'proxy-'];

function IsAbsoluteUrl(): PropertyDecorator {
  return ValidateBy({
    name: 'isAbsoluteUrl',
    validator: {
      validate: (v: unknown) => {
        if (typeof v !== 'string') return false;
        try {
          new URL(v);
          return true;
        } catch {
          return false;
        }
      },
      defaultMessage: () => 'must be an absolute URL',
    },
  });
}

function HasUsableHeaders(): PropertyDecorator {
  return ValidateBy({
    name: 'usableHeaders',
    validator: {
      validate: (v: unknown) => {
        if (!Array.isArray(v)) return true;
        const names = v.map((h: { name?: unknown }) => (typeof h?.name === 'string' ? h.name.toLowerCase() : ''));
        return new Set(names).size === names.length && !names.some((n) => RESERVED_HEADERS.has(n) || RESERVED_PREFIXES.some((p) => n.startsWith(p)));
      },
      defaultMessage: () => `header names must be unique and not one of ${[...RESERVED_HEADERS].join(', ')}, ${RESERVED_PREFIXES.map((p) => `${p}*`).join(' or ')}`,
    },
  });
}

/** No CR/LF/NUL: a header value must not smuggle another header. */
const HEADER_VALUE = /^[^\r\n\0]*$/;

export class EndpointFiltersDto {
  @ApiPropertyOptional({ enum: ITEM_STATUSES, isArray: true, description: 'Only item.status.changed events whose new status is one of these' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(ITEM_STATUSES.length)
  @IsIn(ITEM_STATUSES, { each: true })
  toStatuses?: ItemStatus[];

  @ApiPropertyOptional({ enum: ITEM_STATUSES, isArray: true, description: 'Only item.status.changed events whose old status is one of these' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(ITEM_STATUSES.length)
  @IsIn(ITEM_STATUSES, { each: true })
  fromStatuses?: ItemStatus[];

  @ApiPropertyOptional({ type: [String], description: 'Only events about items carrying one of these tags' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @Length(1, 100, { each: true })
  tags?: string[];

  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @Matches(ID_PATTERN, { each: true })
  @MaxLength(128, { each: true })
  workflowIds?: string[];

  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @Matches(ID_PATTERN, { each: true })
  @MaxLength(128, { each: true })
  datasetIds?: string[];
}

export class RetryPolicyDto {
  @ApiProperty({ minimum: 1, maximum: 20 })
  @IsInt()
  @Min(1)
  @Max(20)
  maxAttempts!: number;

  @ApiPropertyOptional({ type: [Number], description: 'Seconds before attempt 2, 3, …; the last repeats' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @IsInt({ each: true })
  @Min(0, { each: true })
  @Max(86_400, { each: true })
  backoffSeconds?: number[];
}

export class CustomHeaderDto {
  @ApiProperty({ example: 'X-Api-Key' })
  @IsString()
  @Matches(HEADER_NAME_PATTERN, { message: 'name must be an HTTP header token' })
  name!: string;

  @ApiProperty({ example: 'k-123', writeOnly: true, description: 'Write-only: sealed at rest, shown as a hint, redacted in attempts' })
  @IsString()
  @MaxLength(1000)
  @Matches(HEADER_VALUE, { message: 'value must not contain line breaks' })
  value!: string;
}

/** In an update, a header without a value keeps the value already set under its name. */
export class UpdateCustomHeaderDto {
  @ApiProperty({ example: 'X-Api-Key' })
  @IsString()
  @Matches(HEADER_NAME_PATTERN, { message: 'name must be an HTTP header token' })
  name!: string;

  @ApiPropertyOptional({ example: 'k-123', writeOnly: true, description: 'Write-only; omit to keep the value already set for this name' })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  @Matches(HEADER_VALUE, { message: 'value must not contain line breaks' })
  value?: string;
}

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

export class DisableEndpointDto {
  @ApiProperty({ maxLength: 1000, example: 'receiver under maintenance' })
  @IsString()
  @Length(1, 1000)
  reason!: string;
}

export class RotateSecretDto {
  @ApiPropertyOptional({ minimum: 0, maximum: 604_800, description: 'How long the old secret stays valid (default 24 h; 0 revokes it now)' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(604_800)
  graceSeconds?: number;
}

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
