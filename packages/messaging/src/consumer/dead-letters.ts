import { headers as natsHeaders } from '@nats-io/nats-core';
import { errorMessage, isTransientInfraError } from '../errors.js';
import { encodePayload, headersToJson, headerValue, pgText } from '../payload.js';
import type { DeadLetterRepository } from '../repositories.js';
import type { ConsumerContext } from './context.js';
import { retryInPlace } from './in-place.js';
import { storeTime, typeLabel, type RunnerMsg } from './message.js';

/** Header names on the copies published to the DEADLETTER stream. */
export const DeadLetterHeaders = {
  Reason: 'Stagehook-Dead-Letter-Reason',
  Consumer: 'Stagehook-Dead-Letter-Consumer',
  Id: 'Stagehook-Dead-Letter-Id',
  Stream: 'Stagehook-Original-Stream',
  Subject: 'Stagehook-Original-Subject',
  Sequence: 'Stagehook-Original-Sequence',
  MsgId: 'Stagehook-Original-Msg-Id',
  DeliveryCount: 'Stagehook-Delivery-Count',
  EventId: 'Stagehook-Event-Id',
  EventType: 'Stagehook-Event-Type',
} as const;

/** NATS publish failures that retrying cannot fix. */
const PERMANENT_PUBLISH = /max.?payload|too large|invalid subject|permissions? violation/i;

/**
 * Records the dead letter in PostgreSQL (the durable record), publishes a copy to the
 * DEADLETTER stream, then terminates the message. A failure in between naks instead: the retry
 * updates the same row and the copy is deduplicated by its msg id.
 */
export async function deadLetter(
  ctx: ConsumerContext,
  deadLetters: DeadLetterRepository,
  msg: RunnerMsg,
  reason: string,
  eventId: string | null,
  eventType: string | null,
): Promise<void> {
  // One spelling for the row, the header and the log.
  reason = pgText(reason);
  const body = encodePayload(msg.data, ctx.options.deadLetterPayloadCapBytes);
  const recorded = await retryInPlace(
    ctx,
    'dead-letter-record',
    () =>
      deadLetters.record({
        consumer: ctx.consumer,
        stream: ctx.streamName,
        subject: msg.subject,
        streamSeq: msg.seq,
        storedAt: storeTime(msg),
        eventId,
        eventType,
        reason,
        payload: body.payload,
        payloadEncoding: body.encoding,
        payloadBytes: body.bytes,
        payloadTruncated: body.truncated,
        headers: headersToJson(msg.headers),
        deliveryCount: msg.info.deliveryCount,
      }),
    isTransientInfraError,
  );
  if (!recorded.ok) {
    if (!recorded.gaveUp) {
      // Not recorded, so not termed: it comes back after a backoff and is tried again.
      ctx.log.error({ consumer: ctx.consumer, seq: msg.seq, reason, err: errorMessage(recorded.error) }, 'messaging: could not record a dead letter');
    }
    ctx.settle(msg, 'nak', recorded.gaveUp ? undefined : ctx.retryBackoff(msg.info.deliveryCount));
    return;
  }
  const row = recorded.value;
  const h = natsHeaders();
  if (msg.headers) {
    for (const k of msg.headers.keys()) {
      // Nats-* headers instruct the server (dedupe, expectations, TTL): they must not apply to the copy.
      if (k.toLowerCase().startsWith('nats-')) continue;
      for (const v of msg.headers.values(k)) h.append(k, v);
    }
    const msgId = msg.headers.get('Nats-Msg-Id');
    if (msgId) h.set(DeadLetterHeaders.MsgId, headerValue(msgId));
  }
  h.set(DeadLetterHeaders.Reason, headerValue(reason));
  h.set(DeadLetterHeaders.Consumer, ctx.consumer);
  h.set(DeadLetterHeaders.Id, row.id);
  h.set(DeadLetterHeaders.Stream, ctx.streamName);
  h.set(DeadLetterHeaders.Subject, msg.subject);
  h.set(DeadLetterHeaders.Sequence, String(msg.seq));
  h.set(DeadLetterHeaders.DeliveryCount, String(msg.info.deliveryCount));
  if (eventId) h.set(DeadLetterHeaders.EventId, headerValue(eventId));
  if (eventType) h.set(DeadLetterHeaders.EventType, headerValue(eventType));
  const subject = ctx.options.namespace.deadLetterSubject(ctx.consumer);
  const published = await retryInPlace(
    ctx,
    'dead-letter-publish',
    // The row id is only unique within one service's database, while every service publishes
    // into the one DEADLETTER stream: without the consumer in the id, the stream's duplicate
    // window would silently drop another service's copy that happens to have the same row id.
    () => ctx.jetstream().publish(subject, msg.data, { msgID: `dl-${ctx.consumer}-${row.id}`, headers: h }),
    (err) => !PERMANENT_PUBLISH.test(errorMessage(err)),
  );
  if (!published.ok && published.gaveUp) {
    // Recorded but not copied: the redelivery updates the same row and publishes the copy.
    ctx.settle(msg, 'nak');
    return;
  }
  if (!published.ok) {
    // PostgreSQL holds the dead letter; the stream copy is a convenience that cannot be made.
    ctx.log.error({ consumer: ctx.consumer, seq: msg.seq, deadLetterId: row.id, err: errorMessage(published.error) }, 'messaging: dead-letter copy not published');
  }
  ctx.settle(msg, 'term');
  ctx.metrics?.deadLettered.inc({ consumer: ctx.consumer, type: typeLabel(eventType) });
  ctx.log.warn({ consumer: ctx.consumer, seq: msg.seq, eventId, type: eventType, deliveryCount: msg.info.deliveryCount, reason, deadLetterId: row.id }, 'messaging: dead-lettered');
}
