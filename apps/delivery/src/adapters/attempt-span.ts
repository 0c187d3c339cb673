import { randomBytes } from 'node:crypto';
import { isSpanContextValid, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { TraceContext } from '@stagehook/contracts';
import { contextOfTrace, traceContextOfSpan } from '@stagehook/event-store';
import type { ClaimedDelivery } from '../persistence/delivery-queue.repository.js';
import type { SendResult } from './http-sender.js';

const tracer = () => trace.getTracer('@stagehook/delivery');

export interface AttemptSpan {
  /** What the request's `traceparent`/`tracestate` say, and what the outcome event continues. */
  readonly trace: TraceContext;
  /** Ends the span with what happened; `refused` when nothing was sent (breaker open). */
  end(r: SendResult | { refused: string }): void;
}

/**
 * The client span of one webhook attempt, a child of the trace the message was created in (the
 * request that moved the item, however many retries later). Its context is what the request's
 * `traceparent` carries (DESIGN.md: requests carry `traceparent`), so a receiver that traces
 * joins the same trace. Without a tracer provider in the process the span has no valid context;
 * the request still carries a well-formed one (the message's trace id, or a new one) so that
 * receivers can correlate retries.
 */
export function startAttemptSpan(c: ClaimedDelivery, url: string, attempt: number): AttemptSpan {
  let target: URL | undefined;
  try {
    target = new URL(url);
  } catch {
    target = undefined;
  }
  const span: Span = tracer().startSpan(
    'webhook attempt',
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'http.request.method': 'POST',
        // Origin and path only: a query string may hold a receiver's token.
        ...(target ? { 'url.full': `${target.origin}${target.pathname}`, 'server.address': target.hostname } : {}),
        'stagehook.delivery.id': c.id,
        'stagehook.endpoint.id': c.endpointId,
        'stagehook.attempt': attempt,
        'stagehook.trigger.type': c.eventType,
      },
    },
    contextOfTrace(c.trace),
  );
  const sc = span.spanContext();
  const trace: TraceContext = isSpanContextValid(sc) ? traceContextOfSpan(sc) : fallbackTrace(c.trace);
  return {
    trace,
    end: (r) => {
      if ('refused' in r) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: r.refused });
      } else {
        if (r.statusCode !== null) span.setAttribute('http.response.status_code', r.statusCode);
        if (r.error !== null || r.statusCode === null || r.statusCode >= 400) span.setStatus({ code: SpanStatusCode.ERROR, message: r.error ?? `HTTP ${r.statusCode}` });
      }
      span.end();
    },
  };
}

function fallbackTrace(parent: TraceContext | undefined): TraceContext {
  const traceId = parent ? parent.traceparent.slice(3, 35) : randomBytes(16).toString('hex');
  return { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-00`, ...(parent?.tracestate ? { tracestate: parent.tracestate } : {}) };
}
