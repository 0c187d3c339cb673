import { SUBSCRIBABLE_EVENT_TYPES, unknownSubscriptionPatterns } from '@stagehook/contracts';
import { DeprecatedEventTypesError, UnknownEventTypesError } from './errors.js';

/** Refuses patterns that match nothing subscribable, listing what is known. */
export function assertKnownEventTypes(patterns: readonly string[], known: readonly string[] = SUBSCRIBABLE_EVENT_TYPES): void {
  const unknown = unknownSubscriptionPatterns(patterns, known);
  if (unknown.length > 0) throw new UnknownEventTypesError(unknown, known);
}

/**
 * Subscriptions may name built-in types, the project's registered custom types, and wildcards
 * over them. A deprecated custom type may not be newly named, nor may a wildcard that covers only
 * deprecated types; `kept` (what the endpoint already subscribes to) stays valid, so an update that
 * resends it is not refused.
 */
export function assertSubscribable(patterns: readonly string[], catalogue: { known: readonly string[]; deprecated: readonly string[] }, kept: readonly string[] = []): void {
  const deprecated = patterns.filter((p) => catalogue.deprecated.includes(p) && !kept.includes(p));
  if (deprecated.length > 0) throw new DeprecatedEventTypesError(deprecated);
  // What the endpoint already has stays valid (a wildcard whose types were all deprecated since, too).
  assertKnownEventTypes(
    patterns.filter((p) => !kept.includes(p)),
    catalogue.known,
  );
}

/** Order-preserving dedupe: `['item.*', 'item.*']` is one subscription. */
export function uniquePatterns(patterns: readonly string[]): string[] {
  return [...new Set(patterns)];
}

export const DEFAULT_TIMEOUT_MS = 15_000;

/** Who the registry records as changing a managed endpoint (the workflow save that asked). */
export const WORKFLOW_ACTOR = 'service:workflow';
