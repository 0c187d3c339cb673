import { matchesSubscription, type Subscription } from '@stagehook/contracts';
import type { EndpointView } from '../../persistence/endpoint-read.repository.js';

export interface MatchedEvent {
  type: string;
  data: Record<string, unknown>;
}

function subscriptionOf(e: EndpointView): Subscription {
  return { eventTypes: e.state.eventTypes, filters: e.state.filters };
}

function hasTagsFilter(e: EndpointView): boolean {
  return (e.state.filters.tags?.length ?? 0) > 0;
}

/**
 * The deliverable endpoints an event reaches. The item's tags are loaded only when an endpoint
 * that passes every other test has a `tags` filter: most endpoints have none, and their events
 * never pay for the query.
 */
export async function matchEndpoints(all: readonly EndpointView[], event: MatchedEvent, loadItemTags: (itemId: string) => Promise<readonly string[]>): Promise<EndpointView[]> {
  const deliverable = all.filter((e) => e.deliverable);
  const itemId = event.data.itemId;
  let itemTags: readonly string[] | undefined;
  if (
    typeof itemId === 'string' &&
    deliverable.some((e) => hasTagsFilter(e) && matchesSubscription({ ...subscriptionOf(e), filters: { ...e.state.filters, tags: undefined } }, event))
  ) {
    itemTags = await loadItemTags(itemId);
  }
  return deliverable.filter((e) => matchesSubscription(subscriptionOf(e), { ...event, itemTags }));
}

/**
 * Whether any deliverable endpoint could take the event, its `tags` filter aside (tags are read
 * in the transaction): false means the event needs nothing of intake.
 */
export function mayReach(all: readonly EndpointView[], event: MatchedEvent): boolean {
  return all.some((e) => e.deliverable && matchesSubscription({ ...subscriptionOf(e), filters: { ...e.state.filters, tags: undefined } }, event));
}
