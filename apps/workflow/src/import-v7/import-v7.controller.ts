import { BadRequestException, Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { ProjectId } from '@stagehook/platform';
import { DefinitionsService } from '../definitions/definitions.service.js';
import type { DefinitionView } from '../shared/repositories.js';
import { fromV7Workflow, type ImportNote } from './v7-workflow.js';

export class ImportNoteView {
  @ApiProperty({ example: 'stages[2].type' }) path!: string;
  @ApiProperty() message!: string;
}

export class V7ImportView {
  @ApiProperty({ type: Object, description: 'The workflow as created' }) workflow!: DefinitionView;
  @ApiProperty({ type: [ImportNoteView], description: 'What could not be carried over, with its path in the V7 document' }) report!: ImportNote[];
}

@ApiTags('workflows')
@ApiBearerAuth()
@Controller('workflows')
export class ImportV7Controller {
  constructor(private readonly definitions: DefinitionsService) {}

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
    const workflow = await this.definitions.create(projectId, mapped.name, mapped.stages);
    return { workflow, report: mapped.report };
  }
}
