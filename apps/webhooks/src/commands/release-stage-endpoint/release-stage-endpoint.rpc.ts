import { Controller } from '@nestjs/common';
import { ManagedEndpointRpc, type RpcReplyOf } from '@stagehook/contracts';
import { OnRequest } from '@stagehook/messaging';
import { WORKFLOW_ACTOR } from '../../domain/endpoint-rules.js';
import { isId } from '../../domain/ids.js';
import { EndpointQueryRepository } from '../../persistence/endpoint.query-repository.js';
import { EndpointRepository } from '../../persistence/endpoint.repository.js';

/**
 * `ManagedEndpointRpc.releaseStageEndpoint`: the workflow removed the stage that managed an
 * endpoint. The endpoint is disabled and no longer managed, so it can be deleted like any other.
 */
@Controller()
export class ReleaseStageEndpointRpc {
  constructor(
    private readonly repo: EndpointRepository,
    private readonly endpoints: EndpointQueryRepository,
  ) {}

  @OnRequest(ManagedEndpointRpc.releaseStageEndpoint)
  async release(body: unknown): Promise<RpcReplyOf<typeof ManagedEndpointRpc.releaseStageEndpoint>> {
    const r = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    if (!isId(r.projectId) || !isId(r.endpointId)) return { ok: false, code: 'invalid_request', message: 'projectId and endpointId are required ids' };
    const found = await this.endpoints.findInProject(r.projectId, r.endpointId);
    if (!found?.endpoint.managedBy) return { ok: true, released: false };
    const meta = { projectId: r.projectId };
    await this.repo.execute(r.endpointId, { type: 'DisableEndpoint', projectId: r.projectId, reason: 'its workflow stage was removed', by: WORKFLOW_ACTOR, now: new Date() }, meta);
    await this.repo.execute(r.endpointId, { type: 'UpdateEndpoint', projectId: r.projectId, changes: { managedBy: null }, now: new Date() }, meta);
    return { ok: true, released: true };
  }
}
