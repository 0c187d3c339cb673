import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { DarwinDocument } from '@stagehook/contracts';
import { ProjectId } from '@stagehook/platform';
import { ItemIdParams } from '../query-items/query-items.dto.js';
import { ExportQuery } from './export-darwin.dto.js';
import { ExportDarwinQuery } from './export-darwin.query.js';

@ApiTags('darwin')
@ApiBearerAuth()
@Controller()
export class ExportDarwinController {
  constructor(private readonly query: ExportDarwinQuery) {}

  /** The item as a Darwin JSON 2.0 document, exactly as it was at `?version=N`. */
  @Get('items/:itemId/darwin')
  // The operation id this route had before the Darwin controller was split (the SDK is generated from it); no summary, as before.
  @ApiOperation({ operationId: 'DarwinController_export', summary: undefined })
  async export(@ProjectId() projectId: string, @Param() p: ItemIdParams, @Query() q: ExportQuery): Promise<DarwinDocument> {
    return (await this.query.exportDarwin(projectId, p.itemId, q.version)).darwin;
  }
}
