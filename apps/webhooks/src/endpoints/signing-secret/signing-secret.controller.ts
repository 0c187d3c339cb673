import { Body, Controller, Header, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { ApiConflictResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { LOGGER, type Logger, MetricsService, NotFoundError, ProjectId, RequestId } from '@stagehook/platform';
import type { Counter } from 'prom-client';
import { WebhooksConfig } from '../../config.js';
import { EndpointCommands } from '../endpoint-commands.js';
import { liveSigningSecrets } from '../endpoint.decider.js';
import { EndpointSecrets } from '../endpoint-secrets.js';
import { EndpointIdParam, RotateSecretDto } from '../endpoint.dto.js';
import { EndpointRepository } from '../endpoint.repository.js';
import { EndpointView } from '../endpoint.view.js';

export class RevealedSecretView {
  @ApiProperty({ example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', description: 'The current signing secret, in clear' })
  secret!: string;
}

@ApiTags('endpoints')
@Controller('endpoints')
export class SigningSecretController {
  private readonly reveals: Counter<string>;

  constructor(
    private readonly commands: EndpointCommands,
    private readonly repo: EndpointRepository,
    private readonly secrets: EndpointSecrets,
    private readonly config: WebhooksConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    metrics: MetricsService,
  ) {
    this.reveals = metrics.counter({ name: 'webhooks_signing_secret_reveals_total', help: 'Explicit reveals of a signing secret' });
  }

  @Post(':id/secret/rotate')
  @HttpCode(200)
  @ApiOperation({ summary: 'New current secret; the old one stays valid for graceSeconds (default 24 h)' })
  @ApiOkResponse({ type: EndpointView })
  rotate(@ProjectId() projectId: string, @Param() p: EndpointIdParam, @Body() dto: RotateSecretDto, @RequestId() requestId?: string): Promise<EndpointView> {
    return this.commands.run(
      projectId,
      p.id,
      { kind: 'rotate-secret', newSecret: this.secrets.newSigningSecret(p.id), graceSeconds: dto.graceSeconds ?? this.config.ROTATION_GRACE_SECONDS },
      requestId,
    );
  }

  /**
   * The only response that carries a secret in clear: an explicit POST (never cached, never a
   * GET a proxy or browser history might keep), audited without the value, and once per secret:
   * the reveal is an event of the endpoint, so a second call is a 409 until the next rotation.
   */
  @Post(':id/secret/reveal')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'Reveal the current signing secret, once (audited); rotate to reveal a new one' })
  @ApiOkResponse({ type: RevealedSecretView })
  @ApiConflictResponse({ description: 'The current secret was already revealed' })
  async reveal(@ProjectId() projectId: string, @Param() p: EndpointIdParam, @RequestId() requestId?: string): Promise<RevealedSecretView> {
    const now = new Date();
    // The state the reveal was decided on: a rotation racing it cannot make it show another secret.
    const { state } = await this.repo.execute(p.id, { kind: 'reveal-secret', projectId, now }, { projectId, requestId });
    if (state.status !== 'live') throw new NotFoundError(`endpoint ${p.id} not found`);
    const secret = this.secrets.open(liveSigningSecrets(state.endpoint.signingSecrets, now).current, state.endpoint.endpointId, 'signing');
    this.reveals.inc();
    this.logger.info({ projectId, endpointId: p.id }, 'signing secret revealed');
    return { secret };
  }
}
