import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiTags } from '@nestjs/swagger';
import { ProjectId, RequestId, ValidationFailedError, type FieldError } from '@stagehook/platform';
import { readDarwinDocument, type DarwinImport } from '../../domain/darwin-import.js';
import { ItemsQueryRepository } from '../../persistence/items.query-repository.js';
import { ItemIdParams } from '../../queries/query-items/query-items.dto.js';
import { BulkDarwinImportDto, DarwinImportDto, DatasetIdParams } from './import-darwin.dto.js';
import { ImportDarwinHandler, type ImportResult } from './import-darwin.handler.js';

function readOrThrow(body: unknown, path: string): DarwinImport {
  const r = readDarwinDocument(body, path);
  if (!r.ok) throw new ValidationFailedError(r.errors);
  return r.doc;
}

@ApiTags('darwin')
@ApiBearerAuth()
@Controller()
export class DarwinController {
  constructor(
    private readonly handler: ImportDarwinHandler,
    private readonly items: ItemsQueryRepository,
  ) {}

  @Post('items/:itemId/darwin')
  @HttpCode(200)
  @ApiBody({ type: DarwinImportDto })
  import(@ProjectId() projectId: string, @Param() p: ItemIdParams, @Body() body: Record<string, unknown>, @RequestId() rid?: string): Promise<ImportResult> {
    return this.handler.importOne(projectId, p.itemId, readOrThrow(body, ''), rid);
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
    const ids = await this.items.idsByName(p.datasetId, names.filter(Boolean));
    const missing = names.map((n, i) => ({ n, i })).filter(({ n }) => !ids.has(n));
    if (missing.length > 0) {
      throw new ValidationFailedError(missing.map(({ i }) => ({ path: `documents[${i}].item.name`, messages: ['names no item in this dataset'] })));
    }
    const results = await this.handler.importMany(
      projectId,
      documents.map((doc, i) => ({ itemId: ids.get(names[i])!, doc, pathPrefix: `documents[${i}].annotations` })),
      rid,
    );
    return { results };
  }
}
