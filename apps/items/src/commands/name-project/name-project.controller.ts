import { Body, Controller, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Actor, ProjectId, actorRefOrProject, type TokenActor } from '@stagehook/platform';
import { IsOptional, IsString, Length, Matches } from 'class-validator';
import { slugify } from '../../domain/slug.js';
import { ItemsQueryRepository, type Project } from '../../persistence/items.query-repository.js';
import { ItemsRepository } from '../../persistence/items.repository.js';

export class SaveProjectDto {
  @ApiProperty({ example: 'Acme Labs' }) @IsString() @Length(1, 200) name!: string;
  @ApiPropertyOptional({ description: 'derived from the name when absent', example: 'acme-labs' })
  @IsOptional()
  @Matches(/^[a-z0-9][a-z0-9-]{0,99}$/, { message: 'slug must be lower-case letters, digits and dashes' })
  slug?: string;
}

/** Names the token's project (V7's team), as its Darwin exports then name it in `source_info.team`. */
@ApiTags('project')
@ApiBearerAuth()
@Controller('project')
export class NameProjectController {
  constructor(
    private readonly repo: ItemsRepository,
    private readonly items: ItemsQueryRepository,
  ) {}

  /** Names the project; the change is recorded as the token's actor's. */
  @Put()
  // The operation id this route had before the project controller was split (the SDK is generated from it); no summary, as before.
  @ApiOperation({ operationId: 'ProjectController_save', summary: undefined })
  async save(@ProjectId() projectId: string, @Actor() actor: TokenActor | undefined, @Body() body: SaveProjectDto): Promise<Project> {
    await this.repo.saveProject(projectId, body.name, body.slug ?? slugify(body.name, 'project'), actorRefOrProject(projectId, actor));
    this.items.forgetProject(projectId);
    return this.items.project(projectId);
  }
}
