import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { MAX_ITEM_SLOTS, SLOT_NAME_PATTERN, SLOT_TYPE_PATTERN } from '@stagehook/contracts';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  IsUrl,
  IsUUID,
  Length,
  Matches,
  Max,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';

/** One slot of a multi-slot item (Darwin `item.slots[]`). */
export class RegisterSlotDto {
  @ApiProperty({ description: 'Darwin slot_name, unique within the item', example: '0' }) @IsString() @Matches(SLOT_NAME_PATTERN) name!: string;
  @ApiPropertyOptional({ default: 'image', example: 'dicom' }) @IsOptional() @IsString() @Matches(SLOT_TYPE_PATTERN) type?: string;
  @ApiPropertyOptional({ description: 'Pixels; coordinates on a slot without a size are only checked to be finite' }) @IsOptional() @IsInt() @Min(1) @Max(100_000) width?: number;
  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(1) @Max(100_000) height?: number;
  @ApiPropertyOptional() @IsOptional() @IsUrl({ require_tld: false }) sourceUrl?: string;
  @ApiPropertyOptional() @IsOptional() @IsUrl({ require_tld: false }) thumbnailUrl?: string;
}

export class RegisterItemDto {
  @ApiProperty({ description: 'Unique within the dataset' }) @IsString() @Length(1, 500) name!: string;
  @ApiPropertyOptional({ default: '/' }) @IsOptional() @IsString() @Length(1, 1000) path?: string;
  @ApiPropertyOptional({ enum: ['image'], default: 'image' }) @IsOptional() @IsIn(['image']) slotType?: 'image';
  @ApiPropertyOptional({ description: "The single image slot's width; required unless `slots` is given" })
  @ValidateIf((o: RegisterItemDto) => o.slots === undefined || o.width !== undefined)
  @IsInt()
  @Min(1)
  @Max(100_000)
  width?: number;
  @ApiPropertyOptional({ description: "The single image slot's height; required unless `slots` is given" })
  @ValidateIf((o: RegisterItemDto) => o.slots === undefined || o.height !== undefined)
  @IsInt()
  @Min(1)
  @Max(100_000)
  height?: number;
  @ApiPropertyOptional({ type: [RegisterSlotDto], description: 'Several slots (multi-slot, multi-channel, video, DICOM items), instead of width/height' })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_ITEM_SLOTS)
  @ValidateNested({ each: true })
  @Type(() => RegisterSlotDto)
  slots?: RegisterSlotDto[];
  @ApiPropertyOptional() @IsOptional() @IsUrl({ require_tld: false }) sourceUrl?: string;
  @ApiPropertyOptional() @IsOptional() @IsUrl({ require_tld: false }) thumbnailUrl?: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true }) @IsOptional() @IsObject() metadata?: Record<string, unknown>;
}

export class RegisterItemsDto {
  @ApiProperty() @IsUUID() datasetId!: string;

  @ApiProperty({ type: [RegisterItemDto], maxItems: 1000 })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @ValidateNested({ each: true })
  @Type(() => RegisterItemDto)
  items!: RegisterItemDto[];
}
