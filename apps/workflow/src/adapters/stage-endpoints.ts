import { Inject, Injectable } from '@nestjs/common';
import { ManagedEndpointRpc } from '@stagehook/contracts';
import { RpcClient, RpcUnavailableError } from '@stagehook/messaging';
import { DomainError, LOGGER, type Logger } from '@stagehook/platform';
import { WorkflowConfig } from '../config.js';
import { InvalidWorkflowError, WorkflowErrorCode } from '../domain/errors.js';
import type { Graph, ResolvedEndpoint, StageInput } from '../domain/graph.js';

/** The managed endpoints of `resolved` that `before` did not already have. */
export function fresh(before: Graph, resolved: ReadonlyMap<string, ResolvedEndpoint>): string[] {
  const had = new Set(before.flatMap((s) => (s.webhook?.managed ? [s.webhook.endpointId] : [])));
  return [...resolved.values()].map((r) => r.endpointId).filter((id) => !had.has(id));
}

/**
 * Webhook stages that hold their own url and authorization (V7's stage config) get an endpoint the
 * registry manages for (project, workflow, stage). Asked before the save's transaction opens (no
 * NATS request inside one); the registry's answer is idempotent on that key, so a save that fails
 * after this step and is retried lands on the same endpoint.
 */
@Injectable()
export class StageEndpoints {
  constructor(
    private readonly rpc: RpcClient,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly config: WorkflowConfig,
  ) {}

  async resolve(projectId: string, workflowId: string, stages: readonly StageInput[], before: Graph = []): Promise<Map<string, ResolvedEndpoint>> {
    const problems: string[] = [];
    for (const [i, s] of stages.entries()) {
      if (s.webhook?.url !== undefined && s.webhook.endpointId !== undefined) problems.push(`stages[${i}].webhook: give either endpointId or url, not both`);
      if (s.webhook?.url === undefined && s.webhook?.authorizationHeader != null)
        problems.push(`stages[${i}].webhook.authorizationHeader: only a stage with its own url takes one`);
    }
    if (problems.length > 0) throw new InvalidWorkflowError(problems);
    const resolved = new Map<string, ResolvedEndpoint>();
    try {
      for (const [i, s] of stages.entries()) {
        const w = s.webhook;
        if (s.type !== 'webhook' || !w?.url) continue;
        const previous = before.find((b) => b.id === s.id)?.webhook?.managed;
        let reply;
        try {
          reply = await this.rpc.request(
            ManagedEndpointRpc.manageStageEndpoint,
            {
              projectId,
              workflowId,
              stageId: s.id,
              stageName: s.name,
              url: w.url,
              ...(w.authorizationHeader !== undefined ? { authorization: w.authorizationHeader } : {}),
              includeAnnotations: w.includeAnnotations ?? false,
            },
            { timeoutMs: this.config.WEBHOOKS_RPC_TIMEOUT_MS },
          );
        } catch (err) {
          if (err instanceof RpcUnavailableError)
            throw new DomainError(WorkflowErrorCode.WEBHOOKS_UNAVAILABLE, `the webhook registry did not answer for stage '${s.id}'; try again`);
          throw err;
        }
        if (!reply.ok) {
          if (reply.code === 'unsafe_url' || reply.code === 'invalid_request' || reply.code === 'conflict') {
            problems.push(`stages[${i}].webhook.url: ${reply.message}`);
            continue;
          }
          throw new DomainError(WorkflowErrorCode.WEBHOOKS_UNAVAILABLE, `the webhook registry answered ${reply.code} for stage '${s.id}'`);
        }
        // A header kept from the version before (undefined) is still set if it was set then.
        const authorizationHeaderSet = w.authorizationHeader === undefined ? reply.authorizationSet || (previous?.authorizationHeaderSet ?? false) : w.authorizationHeader !== null;
        resolved.set(s.id, { endpointId: reply.endpointId, managed: { url: w.url, authorizationHeaderSet } });
      }
      if (problems.length > 0) throw new InvalidWorkflowError(problems);
    } catch (err) {
      // Endpoints made for this save that the workflow will not name: released, so none is left
      // managed by a stage that does not exist (it could never be deleted).
      await this.release(projectId, fresh(before, resolved));
      throw err;
    }
    return resolved;
  }

  /**
   * After the save: endpoints of stages that are gone are released (disabled, no longer managed,
   * deletable). A registry that does not answer leaves one managed a while longer; the next save
   * releases it again, so this is logged rather than failing a save that already happened.
   */
  async release(projectId: string, endpointIds: readonly string[]): Promise<void> {
    for (const endpointId of endpointIds) {
      try {
        const reply = await this.rpc.request(ManagedEndpointRpc.releaseStageEndpoint, { projectId, endpointId }, { timeoutMs: this.config.WEBHOOKS_RPC_TIMEOUT_MS });
        if (!reply.ok) this.logger.warn({ endpointId, code: reply.code }, 'the registry refused to release a stage endpoint');
      } catch (err) {
        this.logger.warn({ endpointId, err: err instanceof Error ? err.message : String(err) }, 'could not release a stage endpoint');
      }
    }
  }
}
