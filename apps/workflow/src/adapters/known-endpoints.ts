import { Injectable } from '@nestjs/common';
import { WebhooksRpc } from '@stagehook/contracts';
import { RpcClient, RpcUnavailableError } from '@stagehook/messaging';
import { DomainError } from '@stagehook/platform';
import { WorkflowConfig } from '../config.js';
import { InvalidWorkflowError, WorkflowErrorCode } from '../domain/errors.js';
import type { Stage } from '../domain/graph.js';
import { EndpointStatusRepository } from '../persistence/endpoint-status.repository.js';

/**
 * A workflow is saved only with endpoints that exist in its project: an unknown endpoint id is a
 * 422 naming the stage, not a failure at the first item. Endpoints this service has seen an event
 * of are known at once; one it has not (registered a moment ago, its event still on the way) is
 * asked of the registry (`WebhooksRpc.endpoint`). A registry that does not answer is a 503: the
 * save can be tried again, but not decided blind.
 */
@Injectable()
export class KnownEndpoints {
  constructor(
    private readonly rpc: RpcClient,
    private readonly config: WorkflowConfig,
    private readonly statuses: EndpointStatusRepository,
  ) {}

  async assertKnown(projectId: string, stages: readonly Stage[]): Promise<void> {
    const named = stages.filter((s) => s.type === 'webhook' && s.webhook?.endpointId);
    if (named.length === 0) return;
    const ids = [...new Set(named.map((s) => s.webhook!.endpointId))];
    const seen = await this.statuses.known(projectId, ids);
    const missing: string[] = [];
    for (const id of ids.filter((i) => !seen.has(i))) {
      let reply;
      try {
        reply = await this.rpc.request(WebhooksRpc.endpoint, { projectId, endpointId: id }, { timeoutMs: this.config.ITEMS_RPC_TIMEOUT_MS });
      } catch (err) {
        if (err instanceof RpcUnavailableError)
          throw new DomainError(WorkflowErrorCode.WEBHOOKS_UNAVAILABLE, `the webhook registry did not answer whether endpoint ${id} exists; try again`);
        throw err;
      }
      if (!reply.ok && reply.code === 'not_found') missing.push(id);
      else if (!reply.ok) throw new DomainError(WorkflowErrorCode.WEBHOOKS_UNAVAILABLE, `the webhook registry answered ${reply.code} for endpoint ${id}`);
    }
    const deleted = new Set(Object.entries(await this.statuses.unusable(projectId, ids)).flatMap(([id, status]) => (status === 'deleted' ? [id] : [])));
    const problems = named
      .filter((s) => missing.includes(s.webhook!.endpointId) || deleted.has(s.webhook!.endpointId))
      .map((s) => `stage '${s.id}': endpoint ${s.webhook!.endpointId} ${deleted.has(s.webhook!.endpointId) ? 'was deleted' : 'does not exist in this project'}`);
    if (problems.length > 0) throw new InvalidWorkflowError(problems);
  }
}
