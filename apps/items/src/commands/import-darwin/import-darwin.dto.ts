import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { DARWIN_VERSION } from '@stagehook/contracts';
import { IsUUID } from 'class-validator';

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

export class DatasetIdParams {
  @ApiProperty() @IsUUID() datasetId!: string;
}
