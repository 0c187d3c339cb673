import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBase64,
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { ID_PATTERN, IsId, IsShortText } from './common.js';
import { ITEM_STATUSES, type ItemStatus } from './items.js';
import type { EventSpec } from '../spec.js';

/**
 * A secret sealed with the platform key (AES-256-GCM, `SecretBox` in @stagehook/platform).
 * Decision (issue 4): secrets travel in the endpoint events sealed, not over an authenticated
 * request, so the delivery service's endpoint view works while the registry is down and can be
 * rebuilt by replaying the WEBHOOKS stream. `kid` names the key so the platform key can rotate.
 */
export class SealedSecretData {
  @IsString() @Length(1, 64) @Matches(/^[A-Za-z0-9_.-]+$/) kid!: string;
  @IsBase64() @MaxLength(64) iv!: string;
  @IsBase64() @MaxLength(64) tag!: string;
  @IsBase64() @MaxLength(8192) ct!: string;
  /**
   * Sealed with its endpoint and field as AES-GCM additional data (`sealEndpointSecret` in
   * @stagehook/platform), so it opens only there. Absent on values sealed before binding.
   */
  @IsOptional() @IsBoolean() bound?: boolean;
}

/** The previous signing secret stays valid (both signatures are sent) until `expiresAt`. */
export class PreviousSigningSecretData {
  @ValidateNested() @Type(() => SealedSecretData) secret!: SealedSecretData;
  @IsISO8601({ strict: true }) expiresAt!: string;
}

export class SigningSecretsData {
  @ValidateNested() @Type(() => SealedSecretData) current!: SealedSecretData;
  @ValidateIf((_o, v) => v !== null)
  @ValidateNested()
  @Type(() => PreviousSigningSecretData)
  previous!: PreviousSigningSecretData | null;
}

/**
 * Narrows which matching events reach the endpoint (all given conditions must hold; an absent
 * one does not filter). See `matchesSubscription` in subscriptions.ts for the exact semantics.
 */
export class EndpointFiltersData {
  /** Only `item.status.changed` events whose `to` is one of these. */
  @IsOptional() @IsArray() @ArrayMaxSize(ITEM_STATUSES.length) @IsIn(ITEM_STATUSES, { each: true }) toStatuses?: ItemStatus[];
  /** Only `item.status.changed` events whose `from` is one of these. */
  @IsOptional() @IsArray() @ArrayMaxSize(ITEM_STATUSES.length) @IsIn(ITEM_STATUSES, { each: true }) fromStatuses?: ItemStatus[];
  /** Only events about items carrying at least one of these tags (the sender must know the item's tags). */
  @IsOptional() @IsArray() @ArrayMaxSize(50) @IsString({ each: true }) @Length(1, 100, { each: true }) tags?: string[];
  /** Only events of these workflows (`workflow.*` events and stage triggers). */
  @IsOptional() @IsArray() @ArrayMaxSize(50) @IsString({ each: true }) @Length(1, 128, { each: true }) @Matches(ID_PATTERN, { each: true }) workflowIds?: string[];
  /** Only item events of these datasets. */
  @IsOptional() @IsArray() @ArrayMaxSize(50) @IsString({ each: true }) @Length(1, 128, { each: true }) @Matches(ID_PATTERN, { each: true }) datasetIds?: string[];
}

/** Svix-like override of the delivery retry schedule. */
export class RetryPolicyData {
  @IsInt() @Min(1) @Max(20) maxAttempts!: number;
  /** Delays before attempt 2, 3, … in seconds; the last one repeats. */
  @IsOptional() @IsArray() @ArrayMaxSize(20) @IsInt({ each: true }) @Min(0, { each: true }) @Max(86_400, { each: true }) backoffSeconds?: number[];
}

export const HEADER_NAME_PATTERN = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/;

/**
 * A custom header sent with every delivery. Its value is treated as a secret (API keys travel in
 * such headers): sealed at rest and on the bus, bound to its endpoint and header name, shown only
 * as a hint and redacted in attempts. `value` in clear is what events written before sealing
 * carry; new events carry `sealed` only.
 */
export class CustomHeaderData {
  @IsString() @Matches(HEADER_NAME_PATTERN) name!: string;
  @ValidateIf((o: CustomHeaderData) => o.sealed === undefined) @IsString() @MaxLength(1000) @Matches(/^[^\r\n\0]*$/) value?: string;
  @IsOptional() @ValidateNested() @Type(() => SealedSecretData) sealed?: SealedSecretData;
}

export const MAX_CUSTOM_HEADERS = 10;

/**
 * How an endpoint's webhooks are shaped: `standard` (Stagehook's `{type, timestamp, data}`),
 * `darwin` (a webhook stage's Darwin JSON 2.0 document at the top level with `workflow`,
 * `stage` and `visit` beside it, as V7 sends it; other events as standard) or `slack` (a Slack
 * incoming-webhook message, `text` + `blocks`). Every format is signed the same way.
 */
export const PAYLOAD_FORMATS = ['standard', 'darwin', 'slack'] as const;
export type PayloadFormat = (typeof PAYLOAD_FORMATS)[number];

/**
 * The webhook stage an endpoint was made for (a stage holding its own url and authorization, as
 * V7's stage config does): the workflow service creates and updates it when the workflow is saved,
 * and it cannot be deleted directly while the stage exists.
 */
export class ManagedByData {
  @IsId() workflowId!: string;
  @IsId() stageId!: string;
}

/**
 * The full endpoint state, carried by `registered` and `updated` so the delivery service's view
 * is a plain upsert (no need to fold partial changes).
 */
export class EndpointStateData {
  @IsId() endpointId!: string;
  @IsId() projectId!: string;
  @IsShortText(200) name!: string;
  @IsOptional() @IsShortText(2000) description?: string;
  @IsString() @MaxLength(2048) url!: string;
  /** Exact types or wildcards (`item.status.changed`, `item.*`, `*`); empty: stage-only endpoint. */
  @IsArray() @ArrayMaxSize(100) @IsString({ each: true }) @MaxLength(200, { each: true }) eventTypes!: string[];
  @ValidateNested() @Type(() => EndpointFiltersData) filters!: EndpointFiltersData;
  @IsBoolean() includeAnnotations!: boolean;
  /** Absent in events written before formats existed: `standard`. */
  @IsOptional() @IsIn(PAYLOAD_FORMATS) payloadFormat?: PayloadFormat;
  @IsInt() @Min(1000) @Max(60_000) timeoutMs!: number;
  @ValidateIf((_o, v) => v !== null) @ValidateNested() @Type(() => RetryPolicyData) retryPolicy!: RetryPolicyData | null;
  @IsArray() @ArrayMaxSize(MAX_CUSTOM_HEADERS) @ValidateNested({ each: true }) @Type(() => CustomHeaderData) headers!: CustomHeaderData[];
  @IsBoolean() active!: boolean;
  @ValidateIf((_o, v) => v !== null) @IsShortText(1000) disabledReason!: string | null;
  /**
   * Who disabled it: an actor (`user:<id>`, `service:<id>`), `service:delivery` when delivery
   * stopped sending on its own (410 Gone, days without success), `project:<id>` for a token that
   * names no actor. Absent in events written before it was recorded.
   */
  @IsOptional() @ValidateIf((_o, v) => v !== null) @IsShortText(200) disabledBy?: string | null;
  /** The `Authorization` header value, sealed; null when none. */
  @ValidateIf((_o, v) => v !== null) @ValidateNested() @Type(() => SealedSecretData) authorization!: SealedSecretData | null;
  @ValidateNested() @Type(() => SigningSecretsData) signingSecrets!: SigningSecretsData;
  /** Set while a workflow stage manages the endpoint; absent or null for endpoints users made. */
  @IsOptional() @ValidateIf((_o, v) => v !== null) @ValidateNested() @Type(() => ManagedByData) managedBy?: ManagedByData | null;
  @IsISO8601({ strict: true }) at!: string;
}

export class EndpointRegisteredData extends EndpointStateData {}
export class EndpointUpdatedData extends EndpointStateData {}

export class EndpointDisabledData {
  @IsId() endpointId!: string;
  @IsId() projectId!: string;
  @IsShortText(1000) reason!: string;
  /** Who disabled it (see EndpointStateData.disabledBy); absent in events written before it was recorded. */
  @IsOptional() @IsShortText(200) by?: string;
  @IsISO8601({ strict: true }) at!: string;
}

export class EndpointEnabledData {
  @IsId() endpointId!: string;
  @IsId() projectId!: string;
  /** Who enabled it; absent in events written before it was recorded. */
  @IsOptional() @IsShortText(200) by?: string;
  @IsISO8601({ strict: true }) at!: string;
}

export class EndpointDeletedData {
  @IsId() endpointId!: string;
  @IsId() projectId!: string;
  @IsISO8601({ strict: true }) at!: string;
}

/** The owner read the current signing secret (never the value); it cannot be read again until a rotation. */
export class EndpointSecretRevealedData {
  @IsId() endpointId!: string;
  @IsId() projectId!: string;
  @IsISO8601({ strict: true }) at!: string;
}

/** The new signing set: the new secret is current, the old one is `previous` until it expires. */
export class EndpointSecretRotatedData {
  @IsId() endpointId!: string;
  @IsId() projectId!: string;
  @ValidateNested() @Type(() => SigningSecretsData) signingSecrets!: SigningSecretsData;
  @IsISO8601({ strict: true }) at!: string;
}

/**
 * Events of the webhook registry (`webhook.endpoint.*`), stream WEBHOOKS, one event stream per
 * endpoint. WIRE NAMES: never rename without a migration. Secrets never travel here in clear.
 */
export const WebhookEvents = {
  'webhook.endpoint.registered': { schemaVersion: 1, dataClass: EndpointRegisteredData, stream: 'WEBHOOKS' },
  'webhook.endpoint.updated': { schemaVersion: 1, dataClass: EndpointUpdatedData, stream: 'WEBHOOKS' },
  'webhook.endpoint.disabled': { schemaVersion: 1, dataClass: EndpointDisabledData, stream: 'WEBHOOKS' },
  'webhook.endpoint.enabled': { schemaVersion: 1, dataClass: EndpointEnabledData, stream: 'WEBHOOKS' },
  'webhook.endpoint.deleted': { schemaVersion: 1, dataClass: EndpointDeletedData, stream: 'WEBHOOKS' },
  'webhook.endpoint.secret.rotated': { schemaVersion: 1, dataClass: EndpointSecretRotatedData, stream: 'WEBHOOKS' },
  'webhook.endpoint.secret.revealed': { schemaVersion: 1, dataClass: EndpointSecretRevealedData, stream: 'WEBHOOKS' },
} as const satisfies Record<string, EventSpec>;
