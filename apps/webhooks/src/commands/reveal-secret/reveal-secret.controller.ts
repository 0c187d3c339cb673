import { Controller, Header, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { ApiConflictResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { LOGGER, type Logger, MetricsService, NotFoundError, ProjectId, RequestId } from '@stagehook/platform';
import type { Counter } from 'prom-client';
import { EndpointSecrets } from '../../adapters/endpoint-secrets.js';
import { liveSigningSecrets } from '../../domain/endpoint.decider.js';
import { EndpointRepository } from '../../persistence/endpoint.repository.js';
import { EndpointIdParam } from '../../queries/query-endpoints/query-endpoints.dto.js';

export class RevealedSecretView {
  @ApiProperty({ example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', description: 'The current signing secret, in clear' })
  secret!: string;
}

@ApiTags('endpoints')
@Controller('endpoints')
export class RevealSecretController {
  private readonly reveals: Counter<string>;

  constructor(
    private readonly repo: EndpointRepository,
    private readonly secrets: EndpointSecrets,
    @Inject(LOGGER) private readonly logger: Logger,
    metrics: MetricsService,
  ) {
    this.reveals = metrics.counter({ name: 'webhooks_signing_secret_reveals_total', help: 'Explicit reveals of a signing secret' });
  }

  /**
   * The only response that carries a secret in clear: an explicit POST (never cached, never a
   * GET a proxy or browser history might keep), audited without the value, and once per secret:
   * the reveal is an event of the endpoint, so a second call is a 409 until the next rotation.
   */
  @Post(':id/secret/reveal')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  // operationId: the one this route had before the signing-secret controller was split (the SDK is generated from it).
  @ApiOperation({ summary: 'Reveal the current signing secret, once (audited); rotate to reveal a new one', operationId: 'SigningSecretController_reveal' })
  @ApiOkResponse({ type: RevealedSecretView })
  @ApiConflictResponse({ description: 'The current secret was already revealed' })
  async reveal(@ProjectId() projectId: string, @Param() p: EndpointIdParam, @RequestId() requestId?: string): Promise<RevealedSecretView> {
    const now = new Date();
    // The state the reveal was decided on: a rotation racing it cannot make it show another secret.
    const { state } = await this.repo.execute(p.id, { type: 'RevealSecret', projectId, now }, { projectId, requestId });
    if (state.status !== 'live') throw new NotFoundError(`endpoint ${p.id} not found`);
    const secret = this.secrets.open(liveSigningSecrets(state.endpoint.signingSecrets, now).current, state.endpoint.endpointId, 'signing');
    this.reveals.inc();
    this.logger.info({ projectId, endpointId: p.id }, 'signing secret revealed');
    return { secret };
  }
}
