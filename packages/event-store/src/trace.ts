import { context, createTraceState, isSpanContextValid, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags, type Context, type SpanContext } from '@opentelemetry/api';
import { traceContextOf, type TraceContext } from '@stagehook/contracts';

const tracer = () => trace.getTracer('@stagehook/event-store');

/** `00-<trace id>-<span id>-<flags>`: the W3C form of a span context. */
export function traceparentOf(sc: SpanContext): string {
  return `00-${sc.traceId}-${sc.spanId}-${(sc.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

/** The W3C trace context of a span context, with its tracestate when it has one. */
export function traceContextOfSpan(sc: SpanContext): TraceContext {
  const tracestate = sc.traceState?.serialize();
  return tracestate ? { traceparent: traceparentOf(sc), tracestate } : { traceparent: traceparentOf(sc) };
}

/**
 * The W3C trace context of the active span, or undefined outside one. Appends record it in the
 * event's metadata so the relay publishes it in the envelope, and whoever consumes the event
 * continues the trace of the request or handler that appended it. Formatted here rather than
 * through the global propagator: it must work the same whether or not a service set tracing up,
 * and costs a property read when there is no span.
 */
export function activeTraceContext(): TraceContext | undefined {
  const span = trace.getSpan(context.active());
  if (!span) return undefined;
  const sc = span.spanContext();
  return isSpanContextValid(sc) ? traceContextOfSpan(sc) : undefined;
}

/**
 * A context whose (remote) parent is `tc`, for starting a span that continues a trace recorded
 * in an event or a stored message; ROOT_CONTEXT without a valid one.
 */
export function contextOfTrace(tc: { traceparent?: unknown; tracestate?: unknown } | null | undefined): Context {
  const valid = traceContextOf(tc);
  if (!valid) return ROOT_CONTEXT;
  const [, traceId, spanId, flags] = valid.traceparent.split('-');
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId,
    spanId,
    traceFlags: parseInt(flags, 16) & TraceFlags.SAMPLED,
    isRemote: true,
    ...(valid.tracestate ? { traceState: createTraceState(valid.tracestate) } : {}),
  });
}

/**
 * Runs `publish` inside a producer span that continues the trace recorded in `metadata`, and
 * gives it the metadata with the span's context, so consumers are children of the publish.
 * Events without a trace context are published as they are: no span, no cost.
 */
export function tracedPublish<M extends { traceparent?: unknown; tracestate?: unknown }, T>(
  metadata: M,
  attributes: { type: string; subject: string; eventId: string },
  publish: (metadata: M) => Promise<T>,
): Promise<T> {
  if (traceContextOf(metadata) === undefined) return publish(metadata);
  const span = tracer().startSpan(
    `${attributes.type} publish`,
    {
      kind: SpanKind.PRODUCER,
      attributes: { 'messaging.system': 'nats', 'messaging.operation.type': 'send', 'messaging.destination.name': attributes.subject, 'messaging.message.id': attributes.eventId },
    },
    contextOfTrace(metadata),
  );
  const published = publish({ ...metadata, ...traceContextOfSpan(span.spanContext()) });
  published.then(
    () => span.end(),
    (err: unknown) => {
      span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
      span.end();
    },
  );
  return published;
}
