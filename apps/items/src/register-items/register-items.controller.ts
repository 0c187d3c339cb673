import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { MAX_ITEM_SLOTS, SLOT_NAME_PATTERN, SLOT_TYPE_PATTERN } from '@stagehook/contracts';
import { ProjectId, RequestId, ValidationFailedError, type FieldError } from '@stagehook/platform';
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
import { ItemsService } from '../items/items.service.js';
import type { ItemView } from '../persistence/items.repository.js';

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

@ApiTags('items')
@ApiBearerAuth()
@Controller('items')
export class RegisterItemsController {
  constructor(private readonly items: ItemsService) {}

  /** One or many (up to 1,000) items; all are registered or none. */
  @Post()
  @HttpCode(201)
  async register(@ProjectId() projectId: string, @Body() body: RegisterItemsDto, @RequestId() requestId?: string): Promise<{ items: ItemView[] }> {
    const errors: FieldError[] = [];
    body.items.forEach((i, n) => {
      if (!i.slots) return;
      for (const k of ['width', 'height', 'slotType', 'sourceUrl', 'thumbnailUrl'] as const) {
        if (i[k] !== undefined) errors.push({ path: `items[${n}].${k}`, messages: ['must be absent when slots are given (give it on the slot)'] });
      }
      const seen = new Set<string>();
      i.slots.forEach((s, k) => {
        if (seen.has(s.name)) errors.push({ path: `items[${n}].slots[${k}].name`, messages: ['is repeated in this item'] });
        seen.add(s.name);
      });
    });
    if (errors.length > 0) throw new ValidationFailedError(errors);
    const items = await this.items.register(
      projectId,
      body.datasetId,
      body.items.map((i) => ({
        name: i.name,
        path: i.path ?? '/',
        slots: i.slots
          ? i.slots.map((s) => ({
              name: s.name,
              type: s.type ?? 'image',
              width: s.width ?? null,
              height: s.height ?? null,
              sourceUrl: s.sourceUrl ?? null,
              thumbnailUrl: s.thumbnailUrl ?? null,
            }))
          : [{ name: '0', type: i.slotType ?? 'image', width: i.width!, height: i.height!, sourceUrl: i.sourceUrl ?? null, thumbnailUrl: i.thumbnailUrl ?? null }],
        metadata: i.metadata ?? {},
      })),
      requestId,
    );
    return { items };
  }
}
