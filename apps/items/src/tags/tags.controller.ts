import { randomUUID } from 'node:crypto';
import { Body, Controller, Delete, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiProperty, ApiTags } from '@nestjs/swagger';
import { ProjectId, RequestId } from '@stagehook/platform';
import { IsString, Length } from 'class-validator';
import { tagsOf } from '../domain/item.decider.js';
import { ItemIdParams, TagParams } from '../items/dto.js';
import { ItemsService } from '../items/items.service.js';

export class AddTagDto {
  @ApiProperty() @IsString() @Length(1, 200) name!: string;
}

/** Tags are Darwin `tag` annotations; adding one that exists changes nothing. */
@ApiTags('tags')
@ApiBearerAuth()
@Controller('items/:itemId/tags')
export class TagsController {
  constructor(private readonly items: ItemsService) {}

  @Post()
  @HttpCode(200)
  async add(@ProjectId() projectId: string, @Param() p: ItemIdParams, @Body() body: AddTagDto, @RequestId() rid?: string): Promise<{ tags: string[]; version: number }> {
    const { state, version } = await this.items.decide(projectId, p.itemId, { type: 'AddTag', name: body.name, annotationId: randomUUID(), at: new Date().toISOString() }, rid);
    return { tags: tagsOf(state), version };
  }

  @Delete(':name')
  async remove(@ProjectId() projectId: string, @Param() p: TagParams, @RequestId() rid?: string): Promise<{ tags: string[]; version: number }> {
    const { state, version } = await this.items.decide(projectId, p.itemId, { type: 'RemoveTag', name: p.name, at: new Date().toISOString() }, rid);
    return { tags: tagsOf(state), version };
  }
}
