import {
  collectDefaultMetrics,
  Counter,
  type CounterConfiguration,
  Gauge,
  type GaugeConfiguration,
  Histogram,
  type HistogramConfiguration,
  type Metric,
  Registry,
} from 'prom-client';
import type { Logger } from 'pino';

export type LabelValues<L extends string> = Partial<Record<L, string | number>>;

/** What an async gauge's callback returns: one value, or one per label set. */
export type AsyncGaugeReading<L extends string> = number | Array<{ labels: LabelValues<L>; value: number }>;

export interface AsyncGaugeConfiguration<L extends string> {
  name: string;
  help: string;
  labelNames?: readonly L[];
  /** Called on every scrape. Keep it cheap: one query, not a scan. */
  collect: () => Promise<AsyncGaugeReading<L>> | AsyncGaugeReading<L>;
  /** A slow callback must not stall the whole scrape (default 2000 ms). */
  timeoutMs?: number;
}

export interface MetricsServiceOptions {
  service: string;
  logger: Logger;
  /** Process metrics (CPU, memory, event loop, GC); on by default. */
  defaultMetrics?: boolean;
}

/** Seconds; from a fast cache hit to a slow database query, and the shutdown deadline beyond. */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * One Prometheus registry per application instance — not prom-client's global one — so several
 * apps in one process (tests, e2e) never collide on metric names.
 */
export class MetricsService {
  readonly registry = new Registry();
  readonly httpRequestDuration: Histogram<'method' | 'route' | 'status_code'>;
  readonly httpRequestsInFlight: Gauge;
  private readonly collectFailures: Counter<'metric'>;
  private readonly logger: Logger;

  constructor({ service, logger, defaultMetrics = true }: MetricsServiceOptions) {
    this.logger = logger.child({ component: 'metrics' });
    this.registry.setDefaultLabels({ service });
    if (defaultMetrics) collectDefaultMetrics({ register: this.registry });
    this.httpRequestDuration = this.histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by method, route template and status code',
      labelNames: ['method', 'route', 'status_code'] as const,
      buckets: HTTP_BUCKETS,
    });
    this.httpRequestsInFlight = this.gauge({ name: 'http_requests_in_flight', help: 'HTTP requests being served' });
    this.collectFailures = this.counter({
      name: 'metrics_collect_failures_total',
      help: 'Async gauge callbacks that threw or timed out during a scrape',
      labelNames: ['metric'] as const,
    });
  }

  /** The exposition text for `GET /metrics`. */
  async metrics(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  counter<L extends string = string>(config: Omit<CounterConfiguration<L>, 'registers'>): Counter<L> {
    return this.existing(config.name, Counter) ?? new Counter<L>({ ...config, registers: [this.registry] });
  }

  gauge<L extends string = string>(config: Omit<GaugeConfiguration<L>, 'registers'>): Gauge<L> {
    return this.existing(config.name, Gauge) ?? new Gauge<L>({ ...config, registers: [this.registry] });
  }

  histogram<L extends string = string>(config: Omit<HistogramConfiguration<L>, 'registers'>): Histogram<L> {
    return this.existing(config.name, Histogram) ?? new Histogram<L>({ ...config, registers: [this.registry] });
  }

  /**
   * A gauge read by an async callback at scrape time (relay lag, consumer lag). When the callback
   * fails or times out, the gauge reports no value (NaN, or no series when labelled) rather than a
   * stale or zero one — a lag of 0 would hide the outage — and `metrics_collect_failures_total`
   * counts it (visible from the next scrape: the counter is read before the callback settles).
   */
  asyncGauge<L extends string = string>({ name, help, labelNames, collect, timeoutMs = 2000 }: AsyncGaugeConfiguration<L>): Gauge<L> {
    if (this.registry.getSingleMetric(name)) throw new Error(`metric ${name} is already registered`);
    const failures = this.collectFailures;
    const logger = this.logger;
    return new Gauge<L>({
      name,
      help,
      labelNames: labelNames ?? [],
      registers: [this.registry],
      async collect(this: Gauge<L>) {
        let timer: NodeJS.Timeout | undefined;
        try {
          const reading = await Promise.race([
            Promise.resolve().then(collect),
            new Promise<never>((_, reject) => {
              timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
            }),
          ]);
          this.reset();
          if (typeof reading === 'number') this.set(reading);
          else for (const { labels, value } of reading) this.set(labels, value);
        } catch (err) {
          this.reset();
          if (!labelNames?.length) this.set(Number.NaN);
          failures.inc({ metric: name });
          logger.warn({ err, metric: name }, 'async gauge collection failed');
        } finally {
          clearTimeout(timer);
        }
      },
    });
  }

  private existing<M extends Metric>(name: string, type: abstract new (...args: never[]) => M): M | undefined {
    const found = this.registry.getSingleMetric(name);
    if (found === undefined) return undefined;
    if (!(found instanceof type)) throw new Error(`metric ${name} is already registered with another type`);
    return found;
  }
}
