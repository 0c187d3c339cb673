import { headers as natsHeaders } from '@nats-io/nats-core';
import { withStoreTime, type RunnerMsg } from './message.js';

/** A dead-lettered message to run through its consumer again. */
export interface ReplayMessage {
  data: Uint8Array;
  subject: string;
  /** The original stream sequence and store time: a new dead letter updates the same row. */
  streamSeq: number;
  storedAt: Date;
  headers: Record<string, string[]>;
}

/**
 * `ack`: handled now, or found handled before (idempotency). `term`: dead-lettered again.
 * `nak`: not settled (shutdown, or a consumer without a delivery limit). `skipped`: this consumer
 * has no handler for its type, or its prepare found nothing to do (`NothingToDo`). `failed`: the
 * runner itself failed.
 */
export type ReplayResult = 'ack' | 'nak' | 'term' | 'skipped' | 'failed';

/**
 * The message of a replay: what the runner reads of a message and its settle calls, reported to
 * `settled`. It claims to be the last delivery, so a failure dead-letters at once.
 */
export function replayMsg(m: ReplayMessage, maxDeliver: number, settled: (r: ReplayResult) => void): RunnerMsg {
  const h = natsHeaders();
  for (const [k, vs] of Object.entries(m.headers)) for (const v of vs) h.append(k, v);
  const msg: RunnerMsg = {
    data: m.data,
    subject: m.subject,
    seq: m.streamSeq,
    headers: Object.keys(m.headers).length > 0 ? h : undefined,
    redelivered: true,
    info: { deliveryCount: maxDeliver > 0 ? maxDeliver : 1, timestampNanos: m.storedAt.getTime() * 1_000_000 },
    // Before its ack: the first report is the one the replay gives.
    nothingToDo: () => settled('skipped'),
    ack: () => settled('ack'),
    nak: () => settled('nak'),
    term: () => settled('term'),
    working: () => undefined,
  };
  return withStoreTime(msg, m.storedAt);
}
