import { completeEvent, type CloudEvent } from '@stagehook/contracts';
import { parseEnvelope } from '../envelope.js';
import { handlerFor, type AnyEventHandler } from '../handlers.js';
import type { ConsumerContext } from './context.js';
import { typeLabel, type RunnerMsg } from './message.js';

export type Delivery =
  /** `handler` null: the batch handler's type. */
  | { kind: 'event'; msg: RunnerMsg; event: CloudEvent; handler: AnyEventHandler | null; prepared?: unknown }
  | { kind: 'malformed'; msg: RunnerMsg; reason: string; eventId: string | null; eventType: string | null };

export type EventDelivery = Extract<Delivery, { kind: 'event' }>;

/** A message with the key it is ordered by, or `skip` when this consumer has no handler for it or no interest in it. */
export type Routed = { key: string; delivery: Delivery } | 'skip';

/**
 * Validates a message and finds its handler. Events of one aggregate share a key (its stream id,
 * the CloudEvents `subject`), so they are handled one at a time and in order; a malformed message
 * gets a key of its own, so it never waits on another, and goes to the dead letters.
 */
export function routeMessage(ctx: ConsumerContext, msg: RunnerMsg): Routed {
  const o = ctx.options;
  const malformed = (reason: string, eventId: string | null, eventType: string | null): Routed => ({
    key: `m:${msg.seq}`,
    delivery: { kind: 'malformed', msg, reason, eventId: eventId ?? (msg.headers?.get('Nats-Msg-Id') || null), eventType },
  });
  const env = parseEnvelope(msg.data);
  if (!env.ok) return malformed(env.reason, env.id ?? null, env.type ?? null);
  const e = env.value;
  const key = e.subject ? `s:${e.subject}` : `e:${e.id}`;
  const subjectType = o.namespace.eventType(msg.subject);
  if (o.foreign) {
    if (e.type !== o.foreign.typeOfSubject(subjectType)) return malformed(`type: '${e.type}' does not match the subject '${msg.subject}'`, e.id, e.type);
    return { key, delivery: { kind: 'event', msg, event: e, handler: o.foreign.handler } };
  }
  if (e.type !== subjectType) return malformed(`type: '${e.type}' does not match the subject '${msg.subject}'`, e.id, e.type);
  const handler = o.batch?.types.includes(e.type) ? null : handlerFor(o.handlers, e.type);
  if (handler === undefined) {
    ctx.metrics?.skipped.inc({ consumer: ctx.consumer, type: typeLabel(e.type) });
    return 'skip';
  }
  // The envelope was validated above: only the data is left (upcast, then checked).
  const parsed = completeEvent(e);
  if (!parsed.ok) return malformed(parsed.reason, e.id, e.type);
  if (o.relevant && !o.relevant(parsed.value)) {
    ctx.metrics?.skipped.inc({ consumer: ctx.consumer, type: typeLabel(e.type) });
    return 'skip';
  }
  return { key, delivery: { kind: 'event', msg, event: parsed.value, handler } };
}
