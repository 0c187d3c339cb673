import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { HEADER_NAME_PATTERN, ID_PATTERN, ITEM_STATUSES, type ItemStatus } from '@stagehook/contracts';
import { ArrayMaxSize, IsArray, IsIn, IsInt, IsOptional, IsString, Length, Matches, Max, MaxLength, Min, ValidateBy } from 'class-validator';

/**
 * The parts of an endpoint's settings that registering and updating share, and their checks.
 *
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

export function IsAbsoluteUrl(): PropertyDecorator {
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

export function HasUsableHeaders(): PropertyDecorator {
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
export const HEADER_VALUE = /^[^\r\n\0]*$/;

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
