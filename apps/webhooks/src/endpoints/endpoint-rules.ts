import { SUBSCRIBABLE_EVENT_TYPES, unknownSubscriptionPatterns } from '@stagehook/contracts';
import { UnknownEventTypesError } from '../errors.js';

/** Refuses patterns that match nothing subscribable, listing what is known. */
export function assertKnownEventTypes(patterns: readonly string[]): void {
  const unknown = unknownSubscriptionPatterns(patterns);
  if (unknown.length > 0) throw new UnknownEventTypesError(unknown, SUBSCRIBABLE_EVENT_TYPES);
}

/** Order-preserving dedupe: `['item.*', 'item.*']` is one subscription. */
export function uniquePatterns(patterns: readonly string[]): string[] {
  return [...new Set(patterns)];
}

export const DEFAULT_TIMEOUT_MS = 15_000;
