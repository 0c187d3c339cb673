import http from 'node:http';
import https from 'node:https';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOffSampler, AlwaysOnSampler, BatchSpanProcessor, ParentBasedSampler, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

export interface TracingOptions {
  serviceName: string;
  /** OTLP/HTTP base URL (`OTEL_EXPORTER_OTLP_ENDPOINT`); spans go to `<endpoint>/v1/traces`. */
  otlpEndpoint?: string;
  /** Extra processors (tests: a SimpleSpanProcessor over an InMemorySpanExporter). */
  spanProcessors?: SpanProcessor[];
}

export interface Tracing {
  /** True when spans are recorded and exported; false when only the context propagates. */
  readonly recording: boolean;
  /** Sends what is buffered; called at shutdown, before the process exits. */
  flush(): Promise<void>;
}

let installed: Tracing | undefined;

/**
 * Sets OpenTelemetry up for the process: a tracer provider (AsyncLocalStorage context, W3C
 * trace-context propagator) and the HTTP (server and client), undici and pg instrumentations.
 * Once per process: services booted together in one test process share the first set-up, which
 * is why a test installs its in-memory exporter before booting anything.
 *
 * Without an exporter nothing is recorded, but the context still propagates: the sampler drops
 * every span, which leaves non-recording spans that carry a trace id and a fresh span id and
 * cost an id generation each. So an incoming `traceparent` still reaches the events a request
 * appends and the webhook requests they cause (DESIGN.md: requests carry `traceparent`). The
 * HTTP and undici instrumentations stay registered for that; pg's, which propagates nothing, only
 * when spans are recorded (every query a span: about 2 % of workflow's CPU in its benchmark).
 */
export function startTracing(opts: TracingOptions): Tracing {
  if (installed) return installed;
  const processors = [...(opts.spanProcessors ?? [])];
  if (opts.otlpEndpoint) processors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url: `${opts.otlpEndpoint.replace(/\/+$/, '')}/v1/traces` })));
  const recording = processors.length > 0;
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': opts.serviceName }),
    sampler: recording ? new ParentBasedSampler({ root: new AlwaysOnSampler() }) : new AlwaysOffSampler(),
    spanProcessors: processors,
  });
  provider.register();
  const httpInstrumentation = new HttpInstrumentation({
    // Probes and scrapes would be most of the spans and say nothing.
    ignoreIncomingRequestHook: (req) => req.url === '/health' || req.url === '/metrics',
  });
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      httpInstrumentation,
      new UndiciInstrumentation({
        // Webhook requests carry the traceparent of delivery's attempt span, which is their client
        // span: a second one would only add a second traceparent header.
        ignoreRequestHook: (req) => hasTraceparent(req.headers),
      }),
      // A query's span carries nothing onward: without an exporter it would only cost its id.
      ...(recording ? [new PgInstrumentation({ requireParentSpan: true })] : []),
    ],
  });
  // ESM services (and jest's module loader) import node:http before this runs, and the
  // instrumentation patches it only on a later `require`: apply its patch to the loaded module
  // now. It wraps Server.prototype.emit, so servers created earlier are covered, and it guards
  // against patching twice.
  for (const def of httpInstrumentation.getModuleDefinitions()) {
    const loaded = def.name === 'http' ? http : def.name === 'https' ? https : undefined;
    if (loaded) def.patch?.(loaded);
  }
  installed = { recording, flush: () => provider.forceFlush() };
  return installed;
}

/** The process's tracing, once `startTracing` ran. */
export function currentTracing(): Tracing | undefined {
  return installed;
}

function hasTraceparent(headers: unknown): boolean {
  if (typeof headers === 'string') return /(^|\n)traceparent:/i.test(headers);
  if (Array.isArray(headers)) return headers.some((h, i) => i % 2 === 0 && typeof h === 'string' && h.toLowerCase() === 'traceparent');
  return false;
}
