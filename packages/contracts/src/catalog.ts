import { DeliveryEvents } from './events/delivery.js';
import { ItemEvents } from './events/items.js';
import { PublishedEvents } from './events/published.js';
import { WebhookEvents } from './events/webhooks.js';
import { WorkflowEvents } from './events/workflow.js';
import type { EventSpec } from './spec.js';

export type { EventSpec, UpcastFn } from './spec.js';

/**
 * The typed map from subject to data shape. WIRE NAMES: the keys are NATS subjects and
 * CloudEvents `type` values; never rename one without a migration. Each domain keeps its own
 * fragment beside its data classes (events/<domain>.ts) and it is merged here.
 */
export const EventCatalog = {
  ...WorkflowEvents,
  ...ItemEvents,
  ...WebhookEvents,
  ...DeliveryEvents,
  ...PublishedEvents,
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
