import { Body, Controller, Get, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Actor, ProjectId, actorRefOrProject, type TokenActor } from '@stagehook/platform';
import { IsOptional, IsString, Length, Matches } from 'class-validator';
import { ItemsRepository, type Project } from '../persistence/items.repository.js';

export class SaveProjectDto {
  @ApiProperty({ example: 'Acme Labs' }) @IsString() @Length(1, 200) name!: string;
  @ApiPropertyOptional({ description: 'derived from the name when absent', example: 'acme-labs' })
  @IsOptional()
  @Matches(/^[a-z0-9][a-z0-9-]{0,99}$/, { message: 'slug must be lower-case letters, digits and dashes' })
  slug?: string;
}

function slugify(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 100) || 'project'
  );
}

/**
 * The token's project, as its Darwin exports name it: V7 exports carry the team's name and slug in
 * `source_info.team`, and receivers written for V7 read them there.
 */
@ApiTags('project')
@ApiBearerAuth()
@Controller('project')
export class ProjectController {
  constructor(private readonly repo: ItemsRepository) {}

  /** Name and slug; a project never named is called by its id. */
  @Get()
  get(@ProjectId() projectId: string): Promise<Project> {
    return this.repo.project(projectId);
  }

  /** Names the project; the change is recorded as the token's actor's. */
  @Put()
  save(@ProjectId() projectId: string, @Actor() actor: TokenActor | undefined, @Body() body: SaveProjectDto): Promise<Project> {
    return this.repo.saveProject(projectId, body.name, body.slug ?? slugify(body.name), actorRefOrProject(projectId, actor));
  }
}
