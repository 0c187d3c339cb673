import { Controller } from '@nestjs/common';
import { WebhooksRpc, type RpcReplyOf } from '@stagehook/contracts';
import { OnRequest } from '@stagehook/messaging';
import { isId } from '../../domain/ids.js';
import { EndpointQueryRepository } from '../../persistence/endpoint.query-repository.js';

/** `WebhooksRpc.endpoint`: whether an endpoint exists in a project, and whether it is active. */
@Controller()
export class EndpointLookupRpc {
  constructor(private readonly repo: EndpointQueryRepository) {}

  @OnRequest(WebhooksRpc.endpoint)
  async lookUp(body: unknown): Promise<RpcReplyOf<typeof WebhooksRpc.endpoint>> {
    const r = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    if (!isId(r.projectId) || !isId(r.endpointId)) {
      return { ok: false, code: 'invalid_request', message: 'projectId and endpointId are required ids' };
    }
    const found = await this.repo.findInProject(r.projectId, r.endpointId);
    if (!found) return { ok: false, code: 'not_found', message: `endpoint ${r.endpointId} not found in project ${r.projectId}` };
    return { ok: true, endpoint: { id: found.endpoint.endpointId, active: found.endpoint.active, disabledReason: found.endpoint.disabledReason } };
  }
}
