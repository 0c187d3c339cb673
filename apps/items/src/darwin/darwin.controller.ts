import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { DARWIN_VERSION, IsStreamVersion, type DarwinDocument } from '@stagehook/contracts';
import { ProjectId, RequestId, ValidationFailedError, type FieldError } from '@stagehook/platform';
import { Type } from 'class-transformer';
import { IsOptional, IsUUID } from 'class-validator';
import { readDarwinDocument, type DarwinImport } from '../domain/darwin-import.js';
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
 * A Darwin JSON 2.0 document as V7 exports it, for the OpenAPI document only: the body is read
 * by readDarwinDocument, which keeps keys it does not know (a later version's) instead of
 * refusing them, and names every malformed known field.
 */
export class DarwinImportDto {
  @ApiProperty({ enum: [DARWIN_VERSION] }) version!: string;
  @ApiPropertyOptional() schema_ref?: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'name (bulk import matches on it), path, source_info and slots: kept as given' })
  item?: Record<string, unknown>;
  @ApiProperty({ type: 'array', items: { type: 'object' }, maxItems: 10_000 }) annotations!: unknown[];
  @ApiPropertyOptional({ type: 'array', items: { type: 'object' }, description: 'Item-level properties, kept as given' }) properties?: unknown[];
}

export class BulkDarwinImportDto {
  @ApiProperty({ type: [DarwinImportDto], description: 'Matched to items by item.name within the dataset', maxItems: 1000 })
  documents!: DarwinImportDto[];
}

function readOrThrow(body: unknown, path: string): DarwinImport {
  const r = readDarwinDocument(body, path);
  if (!r.ok) throw new ValidationFailedError(r.errors);
  return r.doc;
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
  @ApiBody({ type: DarwinImportDto })
  import(@ProjectId() projectId: string, @Param() p: ItemIdParams, @Body() body: Record<string, unknown>, @RequestId() rid?: string): Promise<ImportResult> {
    return this.items.importDarwin(projectId, p.itemId, readOrThrow(body, ''), rid);
  }

  /**
   * Imports many documents into a dataset's items, matched by `item.name`, in one transaction:
   * an unknown name or one bad annotation is a 400 naming it, and nothing is written.
   */
  @Post('datasets/:datasetId/darwin')
  @HttpCode(200)
  @ApiBody({ type: BulkDarwinImportDto })
  async importBulk(@ProjectId() projectId: string, @Param() p: DatasetIdParams, @Body() body: unknown, @RequestId() rid?: string): Promise<{ results: ImportResult[] }> {
    // No body at all (no content-type) arrives as undefined: a 400 like any other bad body.
    const list = typeof body === 'object' && body !== null ? (body as Record<string, unknown>).documents : undefined;
    if (!Array.isArray(list) || list.length < 1 || list.length > 1000)
      throw new ValidationFailedError([{ path: 'documents', messages: ['must be an array of 1 to 1000 Darwin documents'] }]);
    const errors: FieldError[] = [];
    const documents: DarwinImport[] = [];
    list.forEach((d, i) => {
      const r = readDarwinDocument(d, `documents[${i}]`);
      if (r.ok) documents.push(r.doc);
      else errors.push(...r.errors);
    });
    if (errors.length > 0) throw new ValidationFailedError(errors);
    await this.items.requireDataset(projectId, p.datasetId);
    const names = documents.map((d) => d.itemName ?? '');
    const ids = await this.items.itemIdsByName(p.datasetId, names.filter(Boolean));
    const missing = names.map((n, i) => ({ n, i })).filter(({ n }) => !ids.has(n));
    if (missing.length > 0) {
      throw new ValidationFailedError(missing.map(({ i }) => ({ path: `documents[${i}].item.name`, messages: ['names no item in this dataset'] })));
    }
    const results = await this.items.importMany(
      projectId,
      documents.map((doc, i) => ({ itemId: ids.get(names[i])!, doc, pathPrefix: `documents[${i}].annotations` })),
      rid,
    );
    return { results };
  }
}
