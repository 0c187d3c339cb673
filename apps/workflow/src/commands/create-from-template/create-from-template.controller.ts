import { Body, Controller, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ProjectId } from '@stagehook/platform';
import type { DefinitionView } from '../../persistence/views.js';
import { CreateTemplateDto } from './create-from-template.dto.js';
import { CreateFromTemplateHandler } from './create-from-template.handler.js';

@ApiTags('workflows')
@ApiBearerAuth()
@Controller('workflows')
export class CreateFromTemplateController {
  constructor(private readonly handler: CreateFromTemplateHandler) {}

  @Post('template')
  // WIRE: the operation id the SDK is generated with (it was derived from the controller's old name).
  @ApiOperation({ operationId: 'DefinitionsController_template', summary: 'Create dataset → annotate → webhook → review → complete (failed → review, reject → annotate)' })
  template(@ProjectId() projectId: string, @Body() body: CreateTemplateDto): Promise<DefinitionView> {
    return this.handler.handle(projectId, body);
  }
}
