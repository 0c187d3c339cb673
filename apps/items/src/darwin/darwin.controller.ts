import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { DARWIN_VERSION, IsStreamVersion, type DarwinDocument } from '@stagehook/contracts';
import { ProjectId, RequestId, ValidationFailedError } from '@stagehook/platform';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsObject, IsOptional, IsString, IsUUID, ValidateNested } from 'class-validator';
import { ItemIdParams } from '../items/dto.js';
import { ItemsService, type ImportResult } from '../items/items.service.js';

export class ExportQuery {
  @ApiPropertyOptional({ description: 'Stream version to export as of; latest when absent' })
  @IsOptional()
  @Type(() => Number)
  @IsStreamVersion()
  version?: number;
}

/**
 * A Darwin JSON 2.0 document as V7 exports it. Only the top level is fixed here: `item` is read
 * for its name (bulk import), and each annotation is checked by checkAnnotation or skipped by
 * its shape, so V7's extra item fields do not make a valid export fail.
 */
export class DarwinImportDto {
  @ApiProperty({ enum: [DARWIN_VERSION] }) @IsIn([DARWIN_VERSION]) version!: string;
  @ApiPropertyOptional() @IsOptional() @IsString() schema_ref?: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true }) @IsOptional() @IsObject() item?: Record<string, unknown>;
  @ApiProperty({ type: 'array', items: { type: 'object' } }) @IsArray() @ArrayMaxSize(10_000) annotations!: unknown[];
}

export class BulkDarwinImportDto {
  @ApiProperty({ type: [DarwinImportDto], description: 'Matched to items by item.name within the dataset' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @ValidateNested({ each: true })
  @Type(() => DarwinImportDto)
  documents!: DarwinImportDto[];
}

export class DatasetIdParams {
  @ApiProperty() @IsUUID() datasetId!: string;
}

@ApiTags('darwin')
@ApiBearerAuth()
@Controller()
export class DarwinController {
  constructor(private readonly items: ItemsService) {}

  /** The item as a Darwin JSON 2.0 document, exactly as it was at `?version=N`. */
  @Get('items/:itemId/darwin')
  async export(@ProjectId() projectId: string, @Param() p: ItemIdParams, @Query() q: ExportQuery): Promise<DarwinDocument> {
    return (await this.items.exportDarwin(projectId, p.itemId, q.version)).darwin;
  }

  @Post('items/:itemId/darwin')
  @HttpCode(200)
  import(@ProjectId() projectId: string, @Param() p: ItemIdParams, @Body() body: DarwinImportDto, @RequestId() rid?: string): Promise<ImportResult> {
    return this.items.importDarwin(projectId, p.itemId, body.annotations, rid);
  }

  /**
   * Imports many documents into a dataset's items, matched by `item.name`, in one transaction:
   * an unknown name or one bad annotation is a 400 naming it, and nothing is written.
   */
  @Post('datasets/:datasetId/darwin')
  @HttpCode(200)
  async importBulk(@ProjectId() projectId: string, @Param() p: DatasetIdParams, @Body() body: BulkDarwinImportDto, @RequestId() rid?: string): Promise<{ results: ImportResult[] }> {
    await this.items.requireDataset(projectId, p.datasetId);
    const names = body.documents.map((d) => (typeof d.item?.name === 'string' ? d.item.name : ''));
    const ids = await this.items.itemIdsByName(p.datasetId, names.filter(Boolean));
    const missing = names.map((n, i) => ({ n, i })).filter(({ n }) => !ids.has(n));
    if (missing.length > 0) {
      throw new ValidationFailedError(missing.map(({ i }) => ({ path: `documents[${i}].item.name`, messages: ['names no item in this dataset'] })));
    }
    const results = await this.items.importMany(
      projectId,
      body.documents.map((d, i) => ({ itemId: ids.get(names[i])!, annotations: d.annotations, pathPrefix: `documents[${i}].annotations` })),
      rid,
    );
    return { results };
  }
}

