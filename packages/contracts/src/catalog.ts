import { CircuitChangedData, WebhookDeliveredData, WebhookFailedData } from './events/delivery.js';
import { ItemStatusChangedData } from './events/items.js';
import { ItemCompletedData, StageEnteredData, StageLeftData } from './events/workflow.js';
import type { StreamName } from './streams.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyClass = new (...args: any[]) => object;

/** Turns data written at `fromVersion` into the shape of `fromVersion + 1`. */
export type UpcastFn = (data: Record<string, unknown>) => Record<string, unknown>;

export interface EventSpec {
  /** Current schema version of `data`. Older versions are upcast on read, never rewritten. */
  readonly schemaVersion: number;
  readonly dataClass: AnyClass;
  readonly stream: StreamName;
  /** Keyed by the version they upcast from. */
  readonly upcasters?: Readonly<Record<number, UpcastFn>>;
}

/**
 * The typed map from subject to data shape. WIRE NAMES: the keys are NATS subjects and
 * CloudEvents `type` values; never rename one without a migration.
 */
export const EventCatalog = {
  'workflow.stage.entered': { schemaVersion: 1, dataClass: StageEnteredData, stream: 'WORKFLOW' },
  'workflow.stage.left': { schemaVersion: 1, dataClass: StageLeftData, stream: 'WORKFLOW' },
  'workflow.item.completed': { schemaVersion: 1, dataClass: ItemCompletedData, stream: 'WORKFLOW' },
  'item.status.changed': { schemaVersion: 1, dataClass: ItemStatusChangedData, stream: 'ITEMS' },
  'delivery.webhook.delivered': { schemaVersion: 1, dataClass: WebhookDeliveredData, stream: 'DELIVERY' },
  'delivery.webhook.failed': { schemaVersion: 1, dataClass: WebhookFailedData, stream: 'DELIVERY' },
  'delivery.endpoint.circuit.opened': { schemaVersion: 1, dataClass: CircuitChangedData, stream: 'DELIVERY' },
  'delivery.endpoint.circuit.closed': { schemaVersion: 1, dataClass: CircuitChangedData, stream: 'DELIVERY' },
} as const satisfies Record<string, EventSpec>;

export type EventType = keyof typeof EventCatalog;

/** Plain data of an event type (the validator class's fields, without its prototype). */
export type EventData<T extends EventType> = { [K in keyof InstanceType<(typeof EventCatalog)[T]['dataClass']>]: InstanceType<(typeof EventCatalog)[T]['dataClass']>[K] };

export function isCatalogType(type: string): type is EventType {
  return Object.prototype.hasOwnProperty.call(EventCatalog, type);
}

export function eventSpec(type: string): EventSpec | undefined {
  return isCatalogType(type) ? EventCatalog[type] : undefined;
}
