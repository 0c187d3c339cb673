import { Body, Controller, Headers, HttpCode, Param, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ProjectId } from '@stagehook/platform';
import { WorkflowIdParams } from '../../params.dto.js';
import type { DefinitionView } from '../../persistence/views.js';
import { parseIfMatch } from '../shared/if-match.js';
import { SaveWorkflowDto } from '../shared/workflow.dto.js';
import { UpdateDefinitionHandler } from './update-definition.handler.js';

@ApiTags('workflows')
@ApiBearerAuth()
@Controller('workflows')
export class UpdateDefinitionController {
  constructor(private readonly handler: UpdateDefinitionHandler) {}

  @Put(':id')
  @HttpCode(200)
  // WIRE: the operation id the SDK is generated with (it was derived from the controller's old name).
  @ApiOperation({ operationId: 'DefinitionsController_update', summary: 'Save a new version; items in flight finish on the version they started' })
  // Named as the @Headers parameter is, so Swagger merges the two into one optional header
  // instead of documenting the parameter as a second, required one.
  @ApiHeader({ name: 'if-match', required: false, description: 'The version the edit is based on; 409 if the workflow moved on' })
  update(@ProjectId() projectId: string, @Param() params: WorkflowIdParams, @Body() body: SaveWorkflowDto, @Headers('if-match') ifMatch?: string): Promise<DefinitionView> {
    return this.handler.handle(projectId, params.id, body.name, body.stages, parseIfMatch(ifMatch));
  }
}
