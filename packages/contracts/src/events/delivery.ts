import { Type } from 'class-transformer';
import { IsIn, IsInt, ValidateNested, IsISO8601, IsOptional, Max, Min, ValidateIf } from 'class-validator';
import { IsId, IsShortText } from './common.js';
import type { EventSpec } from '../spec.js';

/**
 * A write-back stage's accepted response: the annotations the receiver answered with, checked
 * (structurally) by delivery and stored in the object store (DocumentStore) under `document`,
 * since they may be far larger than a NATS message. Items applies them and says so.
 */
export class WriteBackRef {
  /** DocumentStore name; WIRE NAME pattern `writeback.<deliveryId>`. */
  @IsShortText(500) document!: string;
  @IsInt() @Min(0) bytes!: number;
  @IsInt() @Min(0) annotations!: number;
}

/** Shared by delivered and failed: everything the workflow service needs to route a visit. */
export class WebhookOutcomeData {
  @IsId() deliveryId!: string;
  @IsId() endpointId!: string;
  @IsId() projectId!: string;
  @IsId() triggerEventId!: string;
  /** The event type that caused the delivery (`workflow.stage.entered`, `item.status.changed`, …). */
  @IsShortText(200) triggerType!: string;
  @IsOptional() @IsId() workflowId?: string;
  @IsOptional() @IsId() stageId?: string;
  @IsOptional() @IsId() visitId?: string;
  @IsOptional() @IsId() itemId?: string;
  @IsInt() @Min(1) attempts!: number;
  @ValidateIf((_o, v) => v !== null)
  @IsInt()
  @Min(100)
  @Max(599)
  lastStatusCode!: number | null;
  @ValidateIf((_o, v) => v !== null)
  @IsShortText(2000)
  lastError!: string | null;
  @IsISO8601({ strict: true }) at!: string;
}

export class WebhookDeliveredData extends WebhookOutcomeData {
  /**
   * Present when the stage writes back: the workflow then waits for items'
   * `item.writeback.applied|rejected` before routing the visit.
   */
  @IsOptional()
  @ValidateNested()
  @Type(() => WriteBackRef)
  writeBack?: WriteBackRef;
}
export class WebhookFailedData extends WebhookOutcomeData {}

export class CircuitChangedData {
  @IsId() endpointId!: string;
  @IsId() projectId!: string;
  @IsIn(['open', 'closed', 'half_open']) state!: 'open' | 'closed' | 'half_open';
  @IsOptional() @IsShortText(1000) reason?: string;
  @IsISO8601({ strict: true }) at!: string;
}

/**
 * The delivery service stopped sending to an endpoint on its own: the receiver answered 410 Gone,
 * or nothing succeeded for days (Svix: 5). The registry mirrors it as `webhook.endpoint.disabled`
 * by `service:delivery`, so its view, workflow's stages and the console see it; enabling the
 * endpoint in the registry (the one enable path) re-enables delivery and replays what it missed.
 */
export class EndpointDisabledByDeliveryData {
  @IsId() endpointId!: string;
  @IsId() projectId!: string;
  @IsShortText(1000) reason!: string;
  @IsISO8601({ strict: true }) at!: string;
}

/** Delivery cleared its own disable after the registry enabled the endpoint. */
export class EndpointReenabledData {
  @IsId() endpointId!: string;
  @IsId() projectId!: string;
  /** Failed deliveries since the endpoint was disabled that were queued again. */
  @IsInt() @Min(0) replayed!: number;
  @IsISO8601({ strict: true }) at!: string;
}

/** WIRE NAMES: never rename without a migration. */
export const DeliveryEvents = {
  'delivery.webhook.delivered': { schemaVersion: 1, dataClass: WebhookDeliveredData, stream: 'DELIVERY' },
  'delivery.webhook.failed': { schemaVersion: 1, dataClass: WebhookFailedData, stream: 'DELIVERY' },
  'delivery.endpoint.circuit.opened': { schemaVersion: 1, dataClass: CircuitChangedData, stream: 'DELIVERY' },
  'delivery.endpoint.circuit.closed': { schemaVersion: 1, dataClass: CircuitChangedData, stream: 'DELIVERY' },
  'delivery.endpoint.disabled': { schemaVersion: 1, dataClass: EndpointDisabledByDeliveryData, stream: 'DELIVERY' },
  'delivery.endpoint.enabled': { schemaVersion: 1, dataClass: EndpointReenabledData, stream: 'DELIVERY' },
} as const satisfies Record<string, EventSpec>;
