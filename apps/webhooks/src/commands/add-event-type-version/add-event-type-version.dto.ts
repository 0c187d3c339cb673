import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsObject, IsOptional, IsString, MaxLength } from 'class-validator';

const SCHEMA_DOC = "JSON Schema (draft 2020-12) of the event's `data`";

export class AddEventTypeVersionDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(2000) description?: string;

  @ApiProperty({ type: 'object', additionalProperties: true, description: SCHEMA_DOC })
  @IsObject()
  schema!: Record<string, unknown>;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, isArray: true })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @IsObject({ each: true })
  examples?: Record<string, unknown>[];
}
