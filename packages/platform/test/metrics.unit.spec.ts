import { describe, expect, it } from '@jest/globals';
import { LogCapture } from '@stagehook/testing';
import { createLogger } from '../src/logging/logger.js';
import { MetricsService } from '../src/metrics/metrics.service.js';

function service(name = 'svc') {
  const logs = new LogCapture();
  return { logs, metrics: new MetricsService({ service: name, logger: createLogger({ service: name, destination: logs }), defaultMetrics: false }) };
}

describe('MetricsService', () => {
  it('gives each instance its own registry, so two apps in one process do not collide', async () => {
    const a = service('a').metrics;
    const b = service('b').metrics;
    a.counter({ name: 'things_total', help: 'h' }).inc(2);
    b.counter({ name: 'things_total', help: 'h' }).inc(5);
    expect(await a.metrics()).toContain('things_total{service="a"} 2');
    expect(await b.metrics()).toContain('things_total{service="b"} 5');
  });

  it('returns the existing metric for a repeated name and refuses a type clash', () => {
    const { metrics } = service();
    const c = metrics.counter({ name: 'x_total', help: 'h' });
    expect(metrics.counter({ name: 'x_total', help: 'h' })).toBe(c);
    expect(() => metrics.gauge({ name: 'x_total', help: 'h' })).toThrow('another type');
  });

  it('collects an async gauge at scrape time, with labels', async () => {
    const { metrics } = service();
    let lag = 3;
    metrics.asyncGauge({
      name: 'consumer_lag_messages',
      help: 'pending messages per consumer',
      labelNames: ['consumer'] as const,
      collect: async () => [
        { labels: { consumer: 'delivery' }, value: lag },
        { labels: { consumer: 'items' }, value: 0 },
      ],
    });
    expect(await metrics.metrics()).toContain('consumer_lag_messages{consumer="delivery",service="svc"} 3');
    lag = 7;
    expect(await metrics.metrics()).toContain('consumer_lag_messages{consumer="delivery",service="svc"} 7');
  });

  it('reports no value, counts and logs the failure when the callback throws, and the scrape still succeeds', async () => {
    const { metrics, logs } = service();
    let fail = false;
    metrics.asyncGauge({ name: 'relay_lag_events', help: 'h', collect: () => (fail ? Promise.reject(new Error('db down')) : 5) });
    expect(await metrics.metrics()).toContain('relay_lag_events{service="svc"} 5');
    fail = true;
    // prom-client writes NaN as "Nan"; Prometheus parses either spelling.
    expect(await metrics.metrics()).toMatch(/^relay_lag_events\{service="svc"\} NaN$/im);
    // The failure counter is read before the gauge's callback fails, so it shows from the next scrape.
    expect(await metrics.metrics()).toContain('metrics_collect_failures_total{metric="relay_lag_events",service="svc"} 1');
    expect(logs.find((l) => l.metric === 'relay_lag_events')).toMatchObject({ level: 'warn', err: { message: 'db down' } });
  });

  it('does not let a hanging callback stall the scrape', async () => {
    const { metrics } = service();
    metrics.asyncGauge({ name: 'slow_gauge', help: 'h', timeoutMs: 50, collect: () => new Promise<number>(() => undefined) });
    const started = Date.now();
    expect(await metrics.metrics()).toMatch(/^slow_gauge\{service="svc"\} NaN$/im);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await metrics.metrics()).toContain('metrics_collect_failures_total{metric="slow_gauge",service="svc"} 1');
  });

  it('refuses a second async gauge with the same name', () => {
    const { metrics } = service();
    metrics.asyncGauge({ name: 'g', help: 'h', collect: () => 1 });
    expect(() => metrics.asyncGauge({ name: 'g', help: 'h', collect: () => 1 })).toThrow('already registered');
  });

  it('includes default process metrics unless turned off', async () => {
    const logger = createLogger({ service: 's', destination: new LogCapture() });
    expect(await new MetricsService({ service: 's', logger }).metrics()).toContain('process_resident_memory_bytes');
    expect(await new MetricsService({ service: 's', logger, defaultMetrics: false }).metrics()).not.toContain('process_resident_memory_bytes');
  });
});
