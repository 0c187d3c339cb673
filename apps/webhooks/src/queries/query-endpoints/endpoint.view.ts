import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PAYLOAD_FORMATS, type EndpointFiltersData, type PayloadFormat, type RetryPolicyData } from '@stagehook/contracts';
import { maskSecret } from '@stagehook/platform';
import type { EndpointSecrets } from '../../adapters/endpoint-secrets.js';
import { liveSigningSecrets } from '../../domain/endpoint.decider.js';
import type { LiveEndpoint } from '../../persistence/endpoint.query-repository.js';

export class SecretHintView {
  @ApiProperty({ example: 'whsec_…k9Zq', description: 'Masked: enough to recognise the secret, never to use it' })
  hint!: string;
}

export class SigningSecretView extends SecretHintView {
  @ApiPropertyOptional({ nullable: true, description: 'While a rotated-out secret is still valid (both signatures are sent)' })
  previousExpiresAt!: string | null;
  @ApiProperty({ description: 'The current secret was read through the reveal call; it can be read again only after a rotation' })
  revealed!: boolean;
}

export class CustomHeaderView {
  @ApiProperty({ example: 'X-Api-Key' }) name!: string;
  @ApiProperty({ example: '…k9Zq', description: 'Masked: enough to recognise the value, never to use it' }) hint!: string;
}

export class ManagedByView {
  @ApiProperty() workflowId!: string;
  @ApiProperty() stageId!: string;
}

/** An endpoint as the API shows it: secrets only as masked hints. */
export class EndpointView {
  @ApiProperty() id!: string;
  @ApiProperty() projectId!: string;
  @ApiProperty() name!: string;
  @ApiPropertyOptional() description?: string;
  @ApiProperty() url!: string;
  @ApiProperty({ type: [String] }) eventTypes!: string[];
  @ApiProperty({ type: Object }) filters!: EndpointFiltersData;
  @ApiProperty() includeAnnotations!: boolean;
  @ApiProperty({ enum: PAYLOAD_FORMATS }) payloadFormat!: PayloadFormat;
  @ApiProperty() timeoutMs!: number;
  @ApiProperty({ type: Object, nullable: true }) retryPolicy!: RetryPolicyData | null;
  @ApiProperty({ type: [CustomHeaderView], description: 'Custom header values are write-only: shown as hints' }) headers!: CustomHeaderView[];
  @ApiProperty() active!: boolean;
  @ApiProperty({ nullable: true }) disabledReason!: string | null;
  @ApiProperty({
    nullable: true,
    description:
      "Who disabled it: `user:<id>` / `service:<id>` (the token's actor), `project:<id>` (a token naming no actor), `service:delivery` (delivery stopped on its own: 410 Gone or days without success)",
  })
  disabledBy!: string | null;
  @ApiProperty({ type: SecretHintView, nullable: true }) authorization!: SecretHintView | null;
  @ApiProperty({ type: SigningSecretView }) signingSecret!: SigningSecretView;
  @ApiProperty({
    type: ManagedByView,
    nullable: true,
    description: 'The webhook stage that holds this url inline (V7 stage config) and manages the endpoint; it cannot be deleted directly while the stage exists',
  })
  managedBy!: ManagedByView | null;
  @ApiProperty() version!: number;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
}

export class EndpointListView {
  @ApiProperty({ type: [EndpointView] }) endpoints!: EndpointView[];
  @ApiProperty({ nullable: true, description: 'Pass as `after` for the next page' }) next!: string | null;
}

export function toEndpointView(e: LiveEndpoint, secrets: EndpointSecrets, now: Date): EndpointView {
  const ep = e.endpoint;
  const signing = liveSigningSecrets(ep.signingSecrets, now);
  return {
    id: ep.endpointId,
    projectId: ep.projectId,
    name: ep.name,
    ...(ep.description !== undefined ? { description: ep.description } : {}),
    url: ep.url,
    eventTypes: ep.eventTypes,
    filters: ep.filters,
    includeAnnotations: ep.includeAnnotations,
    payloadFormat: ep.payloadFormat ?? 'standard',
    timeoutMs: ep.timeoutMs,
    retryPolicy: ep.retryPolicy,
    headers: ep.headers.map((h) => ({ name: h.name, hint: maskSecret(secrets.headerValue(ep.endpointId, h)) })),
    active: ep.active,
    disabledReason: ep.disabledReason,
    disabledBy: ep.active ? null : (ep.disabledBy ?? null),
    authorization: ep.authorization ? { hint: secrets.hint(ep.authorization, ep.endpointId, 'authorization') } : null,
    signingSecret: { hint: secrets.hint(signing.current, ep.endpointId, 'signing'), previousExpiresAt: signing.previous?.expiresAt ?? null, revealed: e.secretRevealed ?? false },
    managedBy: ep.managedBy ? { workflowId: ep.managedBy.workflowId, stageId: ep.managedBy.stageId } : null,
    version: e.version,
    createdAt: e.createdAt,
    updatedAt: e.updatedAt,
  };
}
