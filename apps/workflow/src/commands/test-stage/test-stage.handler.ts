import { Injectable } from '@nestjs/common';
import { DeliveryStageRpc } from '@stagehook/contracts';
import { RpcClient, RpcUnavailableError } from '@stagehook/messaging';
import { DomainError } from '@stagehook/platform';
import { WorkflowConfig } from '../../config.js';
import { WorkflowErrorCode } from '../../domain/errors.js';
import { stageById } from '../../domain/graph.js';
import { DefinitionsRepository } from '../../persistence/definitions.repository.js';
import type { StageTestResultView } from './test-stage.dto.js';

/**
 * V7's stage Test button. Delivery builds and sends the payload (it owns payload building and the
 * SSRF-safe sender); this service only knows which endpoint and item, and waits for the answer.
 */
@Injectable()
export class TestStageHandler {
  constructor(
    private readonly rpc: RpcClient,
    private readonly config: WorkflowConfig,
    private readonly definitions: DefinitionsRepository,
  ) {}

  async handle(projectId: string, workflowId: string, stageId: string, itemId?: string): Promise<StageTestResultView> {
    const def = await this.definitions.getInProject(projectId, workflowId);
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
