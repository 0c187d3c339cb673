import { Body, Controller, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ProjectId } from '@stagehook/platform';
import type { DefinitionView } from '../../persistence/views.js';
import { SaveWorkflowDto } from '../shared/workflow.dto.js';
import { CreateDefinitionHandler } from './create-definition.handler.js';

@ApiTags('workflows')
@ApiBearerAuth()
@Controller('workflows')
export class CreateDefinitionController {
  constructor(private readonly handler: CreateDefinitionHandler) {}

  @Post()
  // WIRE: the operation id the SDK is generated with (it was derived from the controller's old name).
  @ApiOperation({ operationId: 'DefinitionsController_create', summary: 'Create a workflow; an invalid graph is a 422 listing every problem' })
  create(@ProjectId() projectId: string, @Body() body: SaveWorkflowDto): Promise<DefinitionView> {
    return this.handler.handle(projectId, body.name, body.stages);
  }
}
