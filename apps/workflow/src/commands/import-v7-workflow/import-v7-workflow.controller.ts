import { BadRequestException, Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ProjectId } from '@stagehook/platform';
import { fromV7Workflow } from '../../domain/v7-workflow.js';
import { CreateDefinitionHandler } from '../create-definition/create-definition.handler.js';
import type { V7ImportView } from './import-v7-workflow.dto.js';

/** V7's workflow JSON mapped (domain/v7-workflow.ts, pure), then CreateDefinition. */
@ApiTags('workflows')
@ApiBearerAuth()
@Controller('workflows')
export class ImportV7Controller {
  constructor(private readonly create: CreateDefinitionHandler) {}

  @Post('import/v7')
  @HttpCode(201)
  @ApiOperation({
    summary:
      "Create a workflow from V7 Darwin's workflow JSON: dataset, annotate, review, complete and webhook stages (url, authorization_header, include_annotations, retry_if_fails, x/y); the report lists what was not carried over",
  })
  @ApiBody({ schema: { type: 'object', description: "V7's workflow JSON (stages[] with id, name, type, config, edges[])" } })
  async import(@ProjectId() projectId: string, @Body() body: Record<string, unknown>): Promise<V7ImportView> {
    const mapped = fromV7Workflow(body);
    if (!mapped.ok) throw new BadRequestException({ message: mapped.problems.map((p) => `${p.path || 'body'}: ${p.message}`), problems: mapped.problems });
    const workflow = await this.create.handle(projectId, mapped.name, mapped.stages);
    return { workflow, report: mapped.report };
  }
}
