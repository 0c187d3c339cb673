import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiProperty, ApiTags } from '@nestjs/swagger';
import { ProjectId } from '@stagehook/platform';
import { IsUUID } from 'class-validator';
import { ItemsQueryRepository, type Dataset } from '../../persistence/items.query-repository.js';

export class DatasetParams {
  @ApiProperty() @IsUUID() datasetId!: string;
}

@ApiTags('datasets')
@ApiBearerAuth()
@Controller('datasets')
export class DatasetsController {
  constructor(private readonly items: ItemsQueryRepository) {}

  @Get()
  async list(@ProjectId() projectId: string): Promise<{ datasets: Dataset[] }> {
    return { datasets: await this.items.listDatasets(projectId) };
  }

  @Get(':datasetId')
  get(@ProjectId() projectId: string, @Param() p: DatasetParams): Promise<Dataset> {
    return this.items.requireDataset(projectId, p.datasetId);
  }
}
