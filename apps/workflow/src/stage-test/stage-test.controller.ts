import { Body, Controller, HttpCode, Injectable, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { DeliveryStageRpc, ID_PATTERN } from '@stagehook/contracts';
import { RpcClient, RpcUnavailableError } from '@stagehook/messaging';
import { DomainError, ProjectId } from '@stagehook/platform';
import { IsOptional, IsString, Length, Matches } from 'class-validator';
import { WorkflowConfig } from '../config.js';
import { DefinitionsService } from '../definitions/definitions.service.js';
import { WorkflowErrorCode } from '../domain/errors.js';
import { stageById } from '../domain/graph.js';

export class StageTestParams {
  @ApiProperty() @IsString() @Length(1, 128) @Matches(ID_PATTERN) id!: string;
  @ApiProperty() @IsString() @Length(1, 128) @Matches(ID_PATTERN) stageId!: string;
}

export class StageTestDto {
  @ApiPropertyOptional({ description: 'Send this item as it is now; a sample item when absent' })
  @IsOptional()
  @IsString()
  @Length(1, 128)
  @Matches(ID_PATTERN)
  itemId?: string;
}

export class StageTestResultView {
  @ApiProperty({ nullable: true, type: Number, description: 'HTTP status; null when no response came back' }) status!: number | null;
  @ApiProperty() latencyMs!: number;
  @ApiProperty({ description: 'The response body, capped at 4 KiB' }) responseBody!: string;
  @ApiProperty({ description: 'A 2xx within the endpoint timeout' }) passed!: boolean;
  @ApiPropertyOptional({ nullable: true, type: String }) error!: string | null;
  @ApiProperty({ description: 'The `webhook-id` the receiver saw' }) webhookId!: string;
}

/**
 * V7's stage Test button. Delivery builds and sends the payload (it owns payload building and the
 * SSRF-safe sender); this service only knows which endpoint and item, and waits for the answer.
 */
@Injectable()
export class StageTestService {
  constructor(
    private readonly rpc: RpcClient,
    private readonly config: WorkflowConfig,
    private readonly definitions: DefinitionsService,
  ) {}

  async test(projectId: string, workflowId: string, stageId: string, itemId?: string): Promise<StageTestResultView> {
    const def = await this.definitions.get(projectId, workflowId);
    const stage = stageById(def.stages, stageId);
    if (!stage) throw new DomainError(WorkflowErrorCode.STAGE_NOT_FOUND, `stage '${stageId}' not found in workflow ${workflowId}`, { stageId });
    if (stage.type !== 'webhook' || !stage.webhook) {
      throw new DomainError(WorkflowErrorCode.NOT_A_WEBHOOK_STAGE, `stage '${stageId}' is a ${stage.type} stage; only webhook stages can be tested`, {
        stageId,
        stageType: stage.type,
      });
    }
    let reply;
    try {
      reply = await this.rpc.request(
        DeliveryStageRpc.stageTest,
        {
          projectId,
          endpointId: stage.webhook.endpointId,
          workflowId,
          workflowVersion: def.version,
          stageId,
          stageName: stage.name,
          ...(stage.webhook.includeAnnotations !== undefined ? { includeAnnotations: stage.webhook.includeAnnotations } : {}),
          ...(itemId ? { itemId } : {}),
        },
        { timeoutMs: this.config.STAGE_TEST_TIMEOUT_MS },
      );
    } catch (err) {
      if (err instanceof RpcUnavailableError) throw new DomainError(WorkflowErrorCode.DELIVERY_UNAVAILABLE, 'the delivery service did not answer the stage test; try again');
      throw err;
    }
    if (!reply.ok) {
      switch (reply.code) {
        case 'not_found':
          throw new DomainError(WorkflowErrorCode.ITEM_NOT_FOUND, reply.message);
        case 'items_unavailable':
          throw new DomainError(WorkflowErrorCode.ITEMS_UNAVAILABLE, `the items service did not answer: ${reply.message}`);
        default:
          throw new DomainError(WorkflowErrorCode.DELIVERY_UNAVAILABLE, `the delivery service answered ${reply.code}: ${reply.message}`);
      }
    }
    return { status: reply.status, latencyMs: reply.latencyMs, responseBody: reply.responseBody, passed: reply.passed, error: reply.error, webhookId: reply.webhookId };
  }
}

@ApiTags('workflows')
@ApiBearerAuth()
@Controller('workflows')
export class StageTestController {
  constructor(private readonly stageTest: StageTestService) {}

  @Post(':id/stages/:stageId/test')
  @HttpCode(200)
  @ApiOperation({
    summary: "Send the stage's payload to its endpoint now (V7's Test button): for the item as it is now, or a sample item. Not a delivery: the item is not routed",
  })
  test(@ProjectId() projectId: string, @Param() p: StageTestParams, @Body() body: StageTestDto): Promise<StageTestResultView> {
    return this.stageTest.test(projectId, p.id, p.stageId, body.itemId);
  }
}
