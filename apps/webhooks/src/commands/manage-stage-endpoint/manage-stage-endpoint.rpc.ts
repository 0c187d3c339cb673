import { createHash } from 'node:crypto';
import { Controller } from '@nestjs/common';
import { ManagedEndpointRpc, type ManageStageEndpointRequest, type RpcReplyOf } from '@stagehook/contracts';
import { OnRequest } from '@stagehook/messaging';
import { ConflictError } from '@stagehook/platform';
import { EndpointSecrets } from '../../adapters/endpoint-secrets.js';
import { UrlGuard } from '../../adapters/url-guard.js';
import { DEFAULT_TIMEOUT_MS, WORKFLOW_ACTOR } from '../../domain/endpoint-rules.js';
import { UnsafeUrlError } from '../../domain/errors.js';
import { isId } from '../../domain/ids.js';
import { EndpointQueryRepository } from '../../persistence/endpoint.query-repository.js';
import { EndpointRepository } from '../../persistence/endpoint.repository.js';

/**
 * The endpoint id of (project, workflow, stage): derived, not random, so managing the same stage
 * twice (a retried save, a second version) lands on the same stream instead of a second endpoint.
 */
export function stageEndpointId(projectId: string, workflowId: string, stageId: string): string {
  const h = createHash('sha256').update(`${projectId}\u0000${workflowId}\u0000${stageId}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function parseManage(body: unknown): ManageStageEndpointRequest | string {
  const r = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  if (!isId(r.projectId) || !isId(r.workflowId) || !isId(r.stageId)) return 'projectId, workflowId and stageId are required ids';
  if (typeof r.stageName !== 'string' || r.stageName.length === 0 || r.stageName.length > 200) return 'stageName is required (at most 200 characters)';
  if (typeof r.url !== 'string' || r.url.length > 2048) return 'url is required (at most 2048 characters)';
  if (r.authorization !== undefined && r.authorization !== null && (typeof r.authorization !== 'string' || r.authorization.length === 0 || r.authorization.length > 4096)) {
    return 'authorization is a non-empty string of at most 4096 characters, or null';
  }
  if (typeof r.includeAnnotations !== 'boolean') return 'includeAnnotations is required';
  return {
    projectId: r.projectId,
    workflowId: r.workflowId,
    stageId: r.stageId,
    stageName: r.stageName,
    url: r.url,
    ...(r.authorization !== undefined ? { authorization: r.authorization } : {}),
    includeAnnotations: r.includeAnnotations,
  };
}

/**
 * `ManagedEndpointRpc.manageStageEndpoint`: the endpoints webhook stages hold inline (V7's stage
 * url and authorization_header). The workflow service asks before it opens its transaction; the header is
 * sealed here like any endpoint's and never travels back.
 */
@Controller()
export class ManageStageEndpointRpc {
  constructor(
    private readonly repo: EndpointRepository,
    private readonly endpoints: EndpointQueryRepository,
    private readonly secrets: EndpointSecrets,
    private readonly urls: UrlGuard,
  ) {}

  @OnRequest(ManagedEndpointRpc.manageStageEndpoint)
  async manage(body: unknown): Promise<RpcReplyOf<typeof ManagedEndpointRpc.manageStageEndpoint>> {
    const req = parseManage(body);
    if (typeof req === 'string') return { ok: false, code: 'invalid_request', message: req };
    let url: string;
    try {
      url = await this.urls.assertSafe(req.url);
    } catch (err) {
      if (err instanceof UnsafeUrlError) return { ok: false, code: 'unsafe_url', message: err.message };
      throw err;
    }
    const endpointId = stageEndpointId(req.projectId, req.workflowId, req.stageId);
    const meta = { projectId: req.projectId };
    const managedBy = { workflowId: req.workflowId, stageId: req.stageId };
    const name = `Stage: ${req.stageName}`.slice(0, 200);
    const sealed = req.authorization === undefined ? undefined : req.authorization === null ? null : this.secrets.seal(req.authorization, endpointId, 'authorization');
    // Two saves racing on a new stage: the loser's register is refused, and it updates instead.
    for (let attempt = 0; attempt < 2; attempt++) {
      const found = await this.endpoints.findInProject(req.projectId, endpointId);
      if (!found) {
        try {
          await this.repo.execute(
            endpointId,
            {
              type: 'RegisterEndpoint',
              endpointId,
              projectId: req.projectId,
              settings: {
                name,
                url,
                eventTypes: [],
                filters: {},
                includeAnnotations: req.includeAnnotations,
                payloadFormat: 'standard',
                timeoutMs: DEFAULT_TIMEOUT_MS,
                retryPolicy: null,
                headers: [],
                managedBy,
              },
              authorization: sealed ?? null,
              signingSecret: this.secrets.newSigningSecret(endpointId),
              now: new Date(),
            },
            meta,
          );
          return { ok: true, endpointId, authorizationSet: sealed != null };
        } catch (err) {
          if (err instanceof ConflictError && attempt === 0) continue;
          if (err instanceof ConflictError) return { ok: false, code: 'conflict', message: `the endpoint of stage ${req.stageId} was deleted; give the stage a new id` };
          throw err;
        }
      }
      const { state } = await this.repo.execute(
        endpointId,
        {
          type: 'UpdateEndpoint',
          projectId: req.projectId,
          changes: { name, url, includeAnnotations: req.includeAnnotations, managedBy },
          ...(sealed !== undefined ? { authorization: sealed } : {}),
          now: new Date(),
        },
        meta,
      );
      if (state.status === 'live' && !state.endpoint.active)
        await this.repo.execute(endpointId, { type: 'EnableEndpoint', projectId: req.projectId, by: WORKFLOW_ACTOR, now: new Date() }, meta);
      return { ok: true, endpointId, authorizationSet: state.status === 'live' && state.endpoint.authorization !== null };
    }
    throw new Error('unreachable: the second attempt returns');
  }
}
