import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { EVENT_TYPE_PATTERN } from '@stagehook/contracts';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsInt, IsISO8601, IsObject, IsOptional, IsString, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';

/** Most events a bulk publish may carry (one transaction, one answer). */
export const MAX_BULK_EVENTS = 1_000;

export class PublishEventDto {
  @ApiProperty({ example: 'model.training.completed', description: "A type registered in the project's catalogue" })
  @IsString()
  @MaxLength(200)
  @Matches(EVENT_TYPE_PATTERN, { message: 'type must be dotted lower-case words, such as model.training.completed' })
  type!: string;

  @ApiPropertyOptional({ description: 'Schema version the data follows; the latest when absent' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10_000)
  version?: number;

  @ApiProperty({ type: 'object', additionalProperties: true, description: "Validated against the type's JSON Schema" })
  @IsObject()
  data!: Record<string, unknown>;

  @ApiPropertyOptional({ description: "When it happened (the webhook body's timestamp); when accepted if absent" })
  @IsOptional()
  @IsISO8601({ strict: true })
  occurredAt?: string;
}

export class PublishBatchDto {
  @ApiProperty({ type: [PublishEventDto], maxItems: MAX_BULK_EVENTS })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_BULK_EVENTS)
  @ValidateNested({ each: true })
  @Type(() => PublishEventDto)
  events!: PublishEventDto[];
}

export class PublishedEventView {
  @ApiProperty({ description: 'The event id (the trigger id in delivery logs)' }) id!: string;
  @ApiProperty() type!: string;
  @ApiProperty() version!: number;
  @ApiProperty() acceptedAt!: string;
}

export class PublishedBatchView {
  @ApiProperty({ type: [PublishedEventView] }) data!: PublishedEventView[];
}
