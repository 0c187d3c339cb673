import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ProjectId, RequestId } from '@stagehook/platform';
import { EndpointSecrets } from '../../adapters/endpoint-secrets.js';
import { WebhooksConfig } from '../../config.js';
import { EndpointView } from '../../queries/query-endpoints/endpoint.view.js';
import { EndpointIdParam } from '../../queries/query-endpoints/query-endpoints.dto.js';
import { EndpointCommands } from '../shared/endpoint-commands.js';
import { RotateSecretDto } from './rotate-secret.dto.js';

@ApiTags('endpoints')
@Controller('endpoints')
export class RotateSecretController {
  constructor(
    private readonly commands: EndpointCommands,
    private readonly secrets: EndpointSecrets,
    private readonly config: WebhooksConfig,
  ) {}

  @Post(':id/secret/rotate')
  @HttpCode(200)
  // operationId: the one this route had before the signing-secret controller was split (the SDK is generated from it).
  @ApiOperation({ summary: 'New current secret; the old one stays valid for graceSeconds (default 24 h)', operationId: 'SigningSecretController_rotate' })
  @ApiOkResponse({ type: EndpointView })
  rotate(@ProjectId() projectId: string, @Param() p: EndpointIdParam, @Body() dto: RotateSecretDto, @RequestId() requestId?: string): Promise<EndpointView> {
    return this.commands.run(
      projectId,
      p.id,
      { type: 'RotateSecret', newSecret: this.secrets.newSigningSecret(p.id), graceSeconds: dto.graceSeconds ?? this.config.ROTATION_GRACE_SECONDS },
      requestId,
    );
  }
}
