import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { ProjectId } from '@stagehook/platform';
import { IsOptional, IsString, Length, Matches } from 'class-validator';
import { slugify } from '../../domain/slug.js';
import type { Dataset } from '../../persistence/items.query-repository.js';
import { ItemsRepository } from '../../persistence/items.repository.js';

export class CreateDatasetDto {
  @ApiProperty() @IsString() @Length(1, 200) name!: string;
  @ApiPropertyOptional({ description: 'derived from the name when absent' })
  @IsOptional()
  @Matches(/^[a-z0-9][a-z0-9-]{0,99}$/, { message: 'slug must be lower-case letters, digits and dashes' })
  slug?: string;
}

@ApiTags('datasets')
@ApiBearerAuth()
@Controller('datasets')
export class CreateDatasetController {
  constructor(private readonly repo: ItemsRepository) {}

  @Post()
  @HttpCode(201)
  // The operation id this route had before the datasets controller was split (the SDK is generated from it); no summary, as before.
  @ApiOperation({ operationId: 'DatasetsController_create', summary: undefined })
  create(@ProjectId() projectId: string, @Body() body: CreateDatasetDto): Promise<Dataset> {
    return this.repo.createDataset(projectId, body.name, body.slug ?? slugify(body.name, 'dataset'));
  }
}
