import { randomUUID } from 'node:crypto';
import { Body, Controller, Delete, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ProjectId, RequestId } from '@stagehook/platform';
import { tagsOf } from '../../domain/item.decider.js';
import { ItemIdParams } from '../../queries/query-items/query-items.dto.js';
import { ItemCommands } from '../shared/item-commands.js';
import { AddTagDto, TagParams } from './tag.dto.js';

/** Tags are Darwin `tag` annotations; adding one that exists changes nothing. */
@ApiTags('tags')
@ApiBearerAuth()
@Controller('items/:itemId/tags')
export class TagsController {
  constructor(private readonly commands: ItemCommands) {}

  @Post()
  @HttpCode(200)
  async add(@ProjectId() projectId: string, @Param() p: ItemIdParams, @Body() body: AddTagDto, @RequestId() rid?: string): Promise<{ tags: string[]; version: number }> {
    const { state, version } = await this.commands.decide(projectId, p.itemId, { type: 'AddTag', name: body.name, annotationId: randomUUID(), now: new Date() }, rid);
    return { tags: tagsOf(state), version };
  }

  @Delete(':name')
  async remove(@ProjectId() projectId: string, @Param() p: TagParams, @RequestId() rid?: string): Promise<{ tags: string[]; version: number }> {
    const { state, version } = await this.commands.decide(projectId, p.itemId, { type: 'RemoveTag', name: p.name, now: new Date() }, rid);
    return { tags: tagsOf(state), version };
  }
}
