/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/) as the CloudEvents distributed-tracing
 * extension carries it: `traceparent` and `tracestate` attributes on the envelope. Tracing is
 * diagnostics, never part of an event's meaning: a malformed value is dropped, and the event is
 * handled as if it had none — it is never a reason to dead-letter.
 */
export interface TraceContext {
  traceparent: string;
  tracestate?: string;
}

// version 00 only: a future version may add fields we cannot read, and the spec says to treat an
// unknown version's first four fields as 00's — but we only relay, so we keep to what we parse.
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;
const ALL_ZERO_TRACE = '0'.repeat(32);
const ALL_ZERO_SPAN = '0'.repeat(16);
/** The spec's limit: 32 list members of at most 256 characters each, plus separators. */
const TRACESTATE_MAX = 512;
const TRACESTATE = /^[\x20-\x7e]*$/;

/** True for a version-00 `traceparent` with non-zero trace and parent ids. */
export function isValidTraceparent(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const m = TRACEPARENT.exec(value);
  return m !== null && m[1] !== ALL_ZERO_TRACE && m[2] !== ALL_ZERO_SPAN;
}

/**
 * The trace context of anything carrying `traceparent`/`tracestate` fields (an envelope, event
 * metadata), or undefined when there is none or it is malformed. `tracestate` only travels with a
 * valid `traceparent` (the spec: without one it must be ignored) and only when printable and
 * within the spec's size.
 */
export function traceContextOf(source: { traceparent?: unknown; tracestate?: unknown } | null | undefined): TraceContext | undefined {
  if (!source || !isValidTraceparent(source.traceparent)) return undefined;
  const state = source.tracestate;
  return typeof state === 'string' && state.length > 0 && state.length <= TRACESTATE_MAX && TRACESTATE.test(state)
    ? { traceparent: source.traceparent, tracestate: state }
    : { traceparent: source.traceparent };
}

/**
 * The envelope with its tracing extension attributes sanitised: kept when valid, removed when
 * not. Consumers call this after validating the envelope, so a bad `traceparent` from another
 * publisher cannot reach a tracer.
 */
export function withValidTraceContext<E extends { traceparent?: string; tracestate?: string }>(envelope: E): E {
  if (envelope.traceparent === undefined && envelope.tracestate === undefined) return envelope;
  const { traceparent: _p, tracestate: _s, ...rest } = envelope;
  const tc = traceContextOf(envelope);
  return { ...rest, ...(tc ?? {}) } as E;
}
