import type { CloudEvent } from '@stagehook/contracts';

/**
 * Where an event stands in its aggregate's history, for views that keep the newest state.
 *
 * `version`: the event's stream version (the `streamversion` envelope attribute the relay
 * stamps). It is the only order that holds: JetStream sequences follow publishes, and a retried
 * publish, another replica or a nak can put an older event of an aggregate after a newer one.
 * `seq`: an event published before the relay stamped versions; only the stream sequence is
 * known. Every such event is older than every versioned one of the same aggregate.
 */
export type SourceOrder = { version: number } | { seq: number };

export function sourceOrder(event: Pick<CloudEvent, 'streamversion'>, streamSequence: number): SourceOrder {
  return event.streamversion !== undefined ? { version: event.streamversion } : { seq: streamSequence };
}
