import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

const ID = /^[A-Za-z0-9_-]{1,128}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class DeliveryIdParam {
  @ApiProperty({ description: 'Delivery id (also the webhook-id the receiver saw)' })
  @Matches(UUID, { message: 'must be a UUID' })
  id!: string;
}

export class EndpointIdParam {
  @ApiProperty()
  @Matches(ID, { message: 'must be an id of letters, digits, _ and -' })
  id!: string;
}

export class ListDeliveriesQuery {
  @ApiPropertyOptional() @IsOptional() @Matches(ID, { message: 'must be an id' }) endpointId?: string;
  @ApiPropertyOptional({ enum: ['pending', 'delivered', 'failed'] })
  @IsOptional()
  @IsIn(['pending', 'delivered', 'failed'])
  status?: 'pending' | 'delivered' | 'failed';
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(200) eventType?: string;
  @ApiPropertyOptional() @IsOptional() @Matches(ID, { message: 'must be an id' }) itemId?: string;
  @ApiPropertyOptional({ description: 'Created at or after (ISO 8601)' }) @IsOptional() @IsISO8601({ strict: true }) since?: string;
  @ApiPropertyOptional({ description: 'Created before (ISO 8601)' }) @IsOptional() @IsISO8601({ strict: true }) until?: string;
  @ApiPropertyOptional({ description: 'nextCursor of the previous page' }) @IsOptional() @IsString() @MaxLength(200) cursor?: string;
  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;
}

export class RecoverBody {
  @ApiProperty({ description: 'Failed deliveries created at or after this time get one more attempt' })
  @IsISO8601({ strict: true })
  since!: string;
}

export class ListMessagesQuery {
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(200) eventType?: string;
  @ApiPropertyOptional() @IsOptional() @Matches(ID, { message: 'must be an id' }) itemId?: string;
  @ApiPropertyOptional({ description: 'Created at or after (ISO 8601)' }) @IsOptional() @IsISO8601({ strict: true }) since?: string;
  @ApiPropertyOptional({ description: 'Created before (ISO 8601)' }) @IsOptional() @IsISO8601({ strict: true }) until?: string;
  @ApiPropertyOptional({ description: 'nextCursor of the previous page' }) @IsOptional() @IsString() @MaxLength(200) cursor?: string;
  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;
}
