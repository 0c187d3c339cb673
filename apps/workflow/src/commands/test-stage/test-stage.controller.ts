import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ProjectId } from '@stagehook/platform';
import { StageTestDto, StageTestParams, type StageTestResultView } from './test-stage.dto.js';
import { TestStageHandler } from './test-stage.handler.js';

@ApiTags('workflows')
@ApiBearerAuth()
@Controller('workflows')
export class StageTestController {
  constructor(private readonly handler: TestStageHandler) {}

  @Post(':id/stages/:stageId/test')
  @HttpCode(200)
  @ApiOperation({
    summary: "Send the stage's payload to its endpoint now (V7's Test button): for the item as it is now, or a sample item. Not a delivery: the item is not routed",
  })
  test(@ProjectId() projectId: string, @Param() p: StageTestParams, @Body() body: StageTestDto): Promise<StageTestResultView> {
    return this.handler.handle(projectId, p.id, p.stageId, body.itemId);
  }
}
