import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { ProjectId } from '@stagehook/platform';
import { IsOptional, IsString, IsUUID, Length, Matches } from 'class-validator';
import { ItemsService } from '../items/items.service.js';
import { ItemsRepository, type Dataset } from '../persistence/items.repository.js';

export class CreateDatasetDto {
  @ApiProperty() @IsString() @Length(1, 200) name!: string;
  @ApiPropertyOptional({ description: 'derived from the name when absent' })
  @IsOptional()
  @Matches(/^[a-z0-9][a-z0-9-]{0,99}$/, { message: 'slug must be lower-case letters, digits and dashes' })
  slug?: string;
}

export class DatasetParams {
  @ApiProperty() @IsUUID() datasetId!: string;
}

function slugify(name: string): string {
  const s = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 100);
  return s || 'dataset';
}

@ApiTags('datasets')
@ApiBearerAuth()
@Controller('datasets')
export class DatasetsController {
  constructor(
    private readonly repo: ItemsRepository,
    private readonly items: ItemsService,
  ) {}

  @Post()
  @HttpCode(201)
  create(@ProjectId() projectId: string, @Body() body: CreateDatasetDto): Promise<Dataset> {
    return this.repo.createDataset(projectId, body.name, body.slug ?? slugify(body.name));
  }

  @Get()
  async list(@ProjectId() projectId: string): Promise<{ datasets: Dataset[] }> {
    return { datasets: await this.repo.listDatasets(projectId) };
  }

  @Get(':datasetId')
  get(@ProjectId() projectId: string, @Param() p: DatasetParams): Promise<Dataset> {
    return this.items.requireDataset(projectId, p.datasetId);
  }
}
