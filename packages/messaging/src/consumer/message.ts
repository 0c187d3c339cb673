import type { JsMsg } from '@nats-io/jetstream';
import { isCatalogType, type StructuredLogger } from '@stagehook/contracts';
import { errorMessage } from '../errors.js';

/**
 * What the runner reads of a message and how it settles it. A pulled JsMsg is one; so is the
 * stand-in a replay of a dead letter builds (replay.ts), which no server holds.
 */
export type RunnerMsg = Pick<JsMsg, 'data' | 'subject' | 'seq' | 'headers' | 'redelivered' | 'ack' | 'nak' | 'term' | 'working'> & {
  readonly info: Pick<JsMsg['info'], 'deliveryCount' | 'timestampNanos'>;
  /** Told, before the ack, that the event's prepare found nothing to do (a replay reports it). */
  readonly nothingToDo?: () => void;
};

export type Settlement = 'ack' | 'nak' | 'term';

/** Acks, naks (after `delayMs`) or terminates; a closed connection is logged, never thrown. */
export function settle(msg: RunnerMsg, action: Settlement, log: StructuredLogger, consumer: string, delayMs?: number): void {
  try {
    if (action === 'ack') msg.ack();
    else if (action === 'nak') msg.nak(delayMs);
    else msg.term();
  } catch (err) {
    // The connection is closed: the server redelivers after the ack wait, and the idempotency
    // record turns that into a duplicate if the effect was committed.
    log.warn({ consumer, seq: msg.seq, action, err: errorMessage(err) }, 'messaging: could not settle a message');
  }
}

/** The recorded store time of replayed messages: exact, not rebuilt from nanoseconds. */
const exactStoreTimes = new WeakMap<RunnerMsg, Date>();

/** Gives a message whose store time is known exactly (a replay) that time. */
export function withStoreTime<M extends RunnerMsg>(msg: M, storedAt: Date): M {
  exactStoreTimes.set(msg, storedAt);
  return msg;
}

/**
 * The stream's store time of a message, to the millisecond: the same on every delivery and on a
 * replay, since it keys the dead-letter row a message updates. A replay carries the time the row
 * recorded; rebuilding it as nanoseconds (ms × 10⁶, beyond 2⁵³ and so rounded to a multiple of
 * 256) and flooring back lands on the millisecond before for about one time in eight, which made
 * a replay that failed again a second dead letter instead of an update of the first.
 */
export function storeTime(msg: RunnerMsg): Date {
  return exactStoreTimes.get(msg) ?? new Date(Math.floor(msg.info.timestampNanos / 1_000_000));
}

/** Metric label for an event type: catalog types only, so a stream of junk cannot explode cardinality. */
export function typeLabel(type: string | null): string {
  return type && isCatalogType(type) ? type : 'unknown';
}
