import { EventCatalog } from './catalog.js';
import { isReservedEventType } from './events/published.js';
import type { EndpointFiltersData } from './events/webhooks.js';

/**
 * Which events an endpoint receives. One pure implementation shared by the registry (which
 * validates subscriptions at registration) and the delivery service (which matches events), so
 * both always agree.
 */

/** Domains whose events users may subscribe to; registry and delivery events are internal. */
const SUBSCRIBABLE_PREFIXES = ['item.', 'workflow.'] as const;

/** Every built-in exact event type an endpoint can subscribe to, sorted (custom types come from the registry's catalogue). */
export const SUBSCRIBABLE_EVENT_TYPES: readonly string[] = Object.keys(EventCatalog)
  .filter((t) => SUBSCRIBABLE_PREFIXES.some((p) => t.startsWith(p)))
  .sort();

/**
 * `*` (everything subscribable), an exact type, or a prefix wildcard `a.b.*` matching every type
 * under `a.b.` (any depth). A wildcard elsewhere than at the end is not a pattern.
 */
export function isValidSubscriptionPattern(pattern: string, known: readonly string[] = SUBSCRIBABLE_EVENT_TYPES): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('.*')) {
    const prefix = pattern.slice(0, -1);
    if (prefix.length < 2 || prefix.includes('*')) return false;
    return known.some((t) => t.startsWith(prefix));
  }
  return known.includes(pattern);
}

/** The patterns that are neither `*`, a known type, nor a wildcard over known types. */
export function unknownSubscriptionPatterns(patterns: readonly string[], known: readonly string[] = SUBSCRIBABLE_EVENT_TYPES): string[] {
  return patterns.filter((p) => !isValidSubscriptionPattern(p, known));
}

/**
 * `*` covers the built-in subscribable domains and every custom type a project registered (issue
 * 18; custom types never start with a reserved prefix), never the registry's or delivery's own.
 */
export function patternMatchesType(pattern: string, eventType: string): boolean {
  if (pattern === '*') return SUBSCRIBABLE_PREFIXES.some((p) => eventType.startsWith(p)) || !isReservedEventType(eventType);
  if (pattern.endsWith('.*')) return eventType.startsWith(pattern.slice(0, -1));
  return pattern === eventType;
}

export interface SubscriptionEvent {
  type: string;
  data: Record<string, unknown>;
  /** The item's tags when the sender knows them; needed only by a `tags` filter. */
  itemTags?: readonly string[];
}

export interface Subscription {
  eventTypes: readonly string[];
  filters: EndpointFiltersData;
}

function field(data: Record<string, unknown>, key: string): string | undefined {
  const v = data[key];
  return typeof v === 'string' ? v : undefined;
}

/** An absent or empty list does not filter; a value the event does not carry is not filtered by it. */
function passes(list: readonly string[] | undefined, value: string | undefined): boolean {
  if (!list || list.length === 0 || value === undefined) return true;
  return list.includes(value);
}

/**
 * True when the event's type matches one of the endpoint's patterns and it passes every filter.
 * A filter applies to the events that carry its field (`to`, `from`, `workflowId`, `datasetId`):
 * a `toStatuses` filter narrows `item.status.changed` without silencing `workflow.*` events.
 * The `tags` filter applies to every event about an item (`itemId`); when the item's tags are
 * unknown it does not match, so a tag-filtered endpoint never receives an unfiltered event.
 */
export function matchesSubscription(sub: Subscription, event: SubscriptionEvent): boolean {
  if (!sub.eventTypes.some((p) => patternMatchesType(p, event.type))) return false;
  const f = sub.filters;
  const d = event.data;
  if (!passes(f.toStatuses, field(d, 'to'))) return false;
  if (!passes(f.fromStatuses, field(d, 'from'))) return false;
  if (!passes(f.workflowIds, field(d, 'workflowId'))) return false;
  if (!passes(f.datasetIds, field(d, 'datasetId'))) return false;
  if (f.tags && f.tags.length > 0 && field(d, 'itemId') !== undefined) {
    if (!event.itemTags || !event.itemTags.some((t) => f.tags!.includes(t))) return false;
  }
  return true;
}
