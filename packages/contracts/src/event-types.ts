import { EventCatalog, type EventData, type EventType } from './catalog.js';
import { DeliveryEvents } from './events/delivery.js';
import { ItemEvents } from './events/items.js';
import { EventTypeEvents } from './events/published.js';
import { WebhookEvents } from './events/webhooks.js';
import { WorkflowDefinitionEvents, WorkflowItemEvents } from './events/workflow.js';
import type { EventSpec } from './spec.js';

/**
 * An event of one catalog type, or of any of a union of them (`EventOf<'a' | 'b'>` is the
 * union of both shapes, so a switch on `type` narrows `data`).
 */
export type EventOf<T extends EventType> = T extends EventType ? { type: T; data: EventData<T> } : never;

/** The types of a catalog fragment, in its declaration order. */
function typesOf<const M extends Readonly<Record<string, EventSpec>>>(fragment: M): readonly (keyof M & string)[] {
  return Object.freeze(Object.keys(fragment).filter((t): t is keyof M & string => Object.prototype.hasOwnProperty.call(fragment, t)));
}

/*
 * The event types of each kind of aggregate stream, derived from the catalog fragments so that a
 * type added to the contracts is handled (or refused by `assertNever`) everywhere at once.
 */

/** An item's stream in the items service (`item-<id>`). */
export const ITEM_EVENT_TYPES = typesOf(ItemEvents);
export type ItemEventType = (typeof ITEM_EVENT_TYPES)[number];

/** A workflow definition's stream in the workflow service. */
export const WORKFLOW_DEFINITION_EVENT_TYPES = typesOf(WorkflowDefinitionEvents);
export type WorkflowDefinitionEventType = (typeof WORKFLOW_DEFINITION_EVENT_TYPES)[number];

/** An item's position in a workflow, in the workflow service. */
export const WORKFLOW_ITEM_EVENT_TYPES = typesOf(WorkflowItemEvents);
export type WorkflowItemEventType = (typeof WORKFLOW_ITEM_EVENT_TYPES)[number];

/** A webhook endpoint's stream in the registry. */
export const ENDPOINT_EVENT_TYPES = typesOf(WebhookEvents);
export type EndpointEventType = (typeof ENDPOINT_EVENT_TYPES)[number];

/** A custom event type's stream in the registry's catalogue. */
export const EVENT_TYPE_EVENT_TYPES = typesOf(EventTypeEvents);
export type EventTypeEventType = (typeof EVENT_TYPE_EVENT_TYPES)[number];

/** What the delivery service publishes. */
export const DELIVERY_EVENT_TYPES = typesOf(DeliveryEvents);
export type DeliveryEventType = (typeof DELIVERY_EVENT_TYPES)[number];

/** Every catalog type. */
export const CATALOG_EVENT_TYPES = typesOf(EventCatalog);

/**
 * Whether `event` is of one of `types`: narrows its `type` and, by the catalog, its `data`. It
 * checks the type only; the data is what the catalog says because it was validated on the way in
 * (parseEvent) or written by the service's own decider.
 */
export function isEventOf<T extends EventType, E extends { type: string }>(event: E, types: readonly T[]): event is E & EventOf<T> {
  return types.some((t) => t === event.type);
}

/**
 * The end of an exhaustive switch: does not compile while a case is missing, and throws if a
 * value the types ruled out arrives anyway (an event written by newer code, say).
 */
export function assertNever(value: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(value)}`);
}
