import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Link, type Span } from '@opentelemetry/api';
import type { CloudEvent } from '@stagehook/contracts';
import { contextOfTrace } from '@stagehook/event-store';
import type { HandlerOutcome } from '../handlers.js';

// The runner's transactions (transactions.ts) call one of these around handler invocation and
// knows nothing else about tracing.

const tracer = () => trace.getTracer('@stagehook/messaging');

function attributes(consumer: string, event: CloudEvent) {
  return {
    'messaging.system': 'nats',
    'messaging.operation.type': 'process',
    'messaging.consumer.group.name': consumer,
    'messaging.destination.name': event.type,
    'messaging.message.id': event.id,
  };
}

function finish(span: Span, outcomes: readonly (HandlerOutcome | void | undefined)[]): void {
  const notAcked = outcomes.find((o) => o && o.kind !== 'ack');
  if (notAcked && notAcked.kind !== 'ack') span.setAttribute('stagehook.outcome', notAcked.kind);
  if (notAcked?.kind === 'dead-letter') span.setStatus({ code: SpanStatusCode.ERROR, message: notAcked.reason });
  span.end();
}

async function inSpan<T>(span: Span, run: () => Promise<T>, outcomesOf: (value: T) => readonly (HandlerOutcome | void | undefined)[]): Promise<T> {
  try {
    const value = await context.with(trace.setSpan(context.active(), span), run);
    finish(span, outcomesOf(value));
    return value;
  } catch (err) {
    span.recordException(err instanceof Error ? err : String(err));
    span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
    span.end();
    throw err;
  }
}

/**
 * Runs one event's handler in a consumer span that is a child of the event's `traceparent`, so
 * the events the handler appends (the event store records the active context) continue the
 * trace of whatever appended this one. An event without one starts a new trace.
 */
export function traceHandler<T extends HandlerOutcome | void | undefined>(consumer: string, event: CloudEvent, run: () => Promise<T>): Promise<T> {
  const span = tracer().startSpan(`${event.type} process`, { kind: SpanKind.CONSUMER, attributes: attributes(consumer, event) }, contextOfTrace(event));
  return inSpan(span, run, (o) => [o]);
}

/**
 * Runs a batch handler in one consumer span. A batch of one is a child of its event's trace, as
 * a single handler's span is; a larger batch cannot have several parents, so it starts its own
 * trace and links each event's context.
 */
export function traceBatch(
  consumer: string,
  events: readonly CloudEvent[],
  run: () => Promise<(HandlerOutcome | undefined)[] | void>,
): Promise<(HandlerOutcome | undefined)[] | void> {
  if (events.length === 1) {
    const span = tracer().startSpan(`${events[0].type} process`, { kind: SpanKind.CONSUMER, attributes: attributes(consumer, events[0]) }, contextOfTrace(events[0]));
    return inSpan(span, run, (o) => o ?? []);
  }
  const links: Link[] = [];
  for (const e of events) {
    const sc = trace.getSpanContext(contextOfTrace(e));
    if (sc) links.push({ context: sc, attributes: { 'messaging.message.id': e.id } });
  }
  const span = tracer().startSpan(
    `${consumer} process batch`,
    {
      kind: SpanKind.CONSUMER,
      links,
      attributes: { 'messaging.system': 'nats', 'messaging.operation.type': 'process', 'messaging.consumer.group.name': consumer, 'messaging.batch.message_count': events.length },
    },
    ROOT_CONTEXT,
  );
  return inSpan(span, run, (o) => o ?? []);
}
