import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { EVENT_TYPE_PATTERN } from '@stagehook/contracts';
import { ArrayMaxSize, IsArray, IsObject, IsOptional, IsString, Matches, MaxLength } from 'class-validator';

const SCHEMA_DOC = "JSON Schema (draft 2020-12) of the event's `data`";

export class RegisterEventTypeDto {
  @ApiProperty({ example: 'model.training.completed', description: 'Dotted lower-case words; not under item., workflow., webhook., delivery.' })
  @IsString()
  @MaxLength(200)
  @Matches(EVENT_TYPE_PATTERN, { message: 'name must be dotted lower-case words, such as model.training.completed' })
  name!: string;

  @ApiProperty() @IsString() @MaxLength(2000) description!: string;

  @ApiProperty({ type: 'object', additionalProperties: true, description: SCHEMA_DOC })
  @IsObject()
  schema!: Record<string, unknown>;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, isArray: true, description: 'Example payloads; each must match the schema' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @IsObject({ each: true })
  examples?: Record<string, unknown>[];
}
