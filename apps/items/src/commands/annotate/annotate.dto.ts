import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsObject, IsOptional, IsString, IsUUID, Length, ValidateNested } from 'class-validator';
import { ItemIdParams } from '../../queries/query-items/query-items.dto.js';

/**
 * One annotation as a client sends it: a class name and exactly one Darwin JSON 2.0 shape.
 * The geometry inside each shape is checked against the item's image (checkAnnotation), which
 * names every bad coordinate; this class refuses unknown top-level keys (a `mask`, say).
 */
export class AnnotationDto {
  @ApiPropertyOptional({ description: 'UUID; generated when absent' })
  @IsOptional()
  @IsUUID()
  id?: string;

  @ApiProperty({ description: 'Class name' })
  @IsString()
  @Length(1, 200)
  name!: string;

  @ApiPropertyOptional({ example: ['0'] })
  @IsOptional()
  @IsArray()
  slot_names?: string[];

  @ApiPropertyOptional({ example: { x: 10, y: 20, w: 30, h: 40 } })
  @IsOptional()
  @IsObject()
  bounding_box?: Record<string, unknown>;

  @ApiPropertyOptional({ description: '{paths: [[{x,y}, …]]}, each path at least 3 points; its bounding box is computed' })
  @IsOptional()
  @IsObject()
  polygon?: Record<string, unknown>;

  @ApiPropertyOptional({ description: '{path: [{x,y}, …]}' })
  @IsOptional()
  @IsObject()
  line?: Record<string, unknown>;

  @ApiPropertyOptional({ example: { x: 1, y: 2 } })
  @IsOptional()
  @IsObject()
  keypoint?: Record<string, unknown>;

  @ApiPropertyOptional({ example: { center: { x: 5, y: 5 }, radius: { x: 2, y: 1 }, angle: 0 } })
  @IsOptional()
  @IsObject()
  ellipse?: Record<string, unknown>;

  @ApiPropertyOptional({ example: {} })
  @IsOptional()
  @IsObject()
  tag?: Record<string, unknown>;

  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  attributes?: string[];

  @ApiPropertyOptional({ example: { text: 'ABC-123' } })
  @IsOptional()
  @IsObject()
  text?: Record<string, unknown>;

  @ApiPropertyOptional({ example: { value: 1 } })
  @IsOptional()
  @IsObject()
  instance_id?: Record<string, unknown>;

  @ApiPropertyOptional({ type: 'array', items: { type: 'object' } })
  @IsOptional()
  @IsArray()
  properties?: Record<string, unknown>[];

  @ApiPropertyOptional({ example: [{ full_name: 'Ada Lovelace', email: 'ada@example.com' }] })
  @IsOptional()
  @IsArray()
  annotators?: Record<string, unknown>[];

  @ApiPropertyOptional({ example: [] })
  @IsOptional()
  @IsArray()
  reviewers?: Record<string, unknown>[];
}

export class AnnotationParams extends ItemIdParams {
  @ApiProperty()
  @IsUUID()
  annotationId!: string;
}

export class AddAnnotationsDto {
  @ApiProperty({ type: [AnnotationDto], maxItems: 5000 })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(5000)
  @ValidateNested({ each: true })
  @Type(() => AnnotationDto)
  annotations!: AnnotationDto[];
}
