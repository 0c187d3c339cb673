import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { ProjectId, RequestId } from '@stagehook/platform';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsInt, IsObject, IsOptional, IsString, IsUrl, IsUUID, Length, Max, Min, ValidateNested } from 'class-validator';
import { ItemsService } from '../items/items.service.js';
import type { ItemView } from '../persistence/items.repository.js';

export class RegisterItemDto {
  @ApiProperty({ description: 'Unique within the dataset' }) @IsString() @Length(1, 500) name!: string;
  @ApiPropertyOptional({ default: '/' }) @IsOptional() @IsString() @Length(1, 1000) path?: string;
  @ApiPropertyOptional({ enum: ['image'], default: 'image' }) @IsOptional() @IsIn(['image']) slotType?: 'image';
  @ApiProperty() @IsInt() @Min(1) @Max(100_000) width!: number;
  @ApiProperty() @IsInt() @Min(1) @Max(100_000) height!: number;
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
    const items = await this.items.register(
      projectId,
      body.datasetId,
      body.items.map((i) => ({
        name: i.name,
        path: i.path ?? '/',
        slot: { type: i.slotType ?? 'image', width: i.width, height: i.height, sourceUrl: i.sourceUrl ?? null, thumbnailUrl: i.thumbnailUrl ?? null },
        metadata: i.metadata ?? {},
      })),
      requestId,
    );
    return { items };
  }
}
