import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ProjectId } from '@stagehook/platform';
import { ItemsQueryRepository, type Project } from '../../persistence/items.query-repository.js';

/**
 * The token's project, as its Darwin exports name it: V7 exports carry the team's name and slug in
 * `source_info.team`, and receivers written for V7 read them there.
 */
@ApiTags('project')
@ApiBearerAuth()
@Controller('project')
export class ProjectController {
  constructor(private readonly items: ItemsQueryRepository) {}

  /** Name and slug; a project never named is called by its id. */
  @Get()
  get(@ProjectId() projectId: string): Promise<Project> {
    return this.items.project(projectId);
  }
}
