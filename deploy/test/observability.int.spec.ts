/**
 * Every metric the Grafana dashboard, the alert rules and delivery's KEDA trigger read is one the
 * services really export: the four services run as real processes and their /metrics are scraped.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Platform, SERVICE_NAMES } from '../../e2e/test/support/platform.js';
import { deployDir, readYaml } from './support/manifests.js';
import { alertRules, dashboardTargets, exportedNames, grafanaToPromql, parsePromql } from './support/observability.js';

describe('metrics read by deploy/ (dashboard, alerts, autoscaling)', () => {
  let platform: Platform | undefined;
  const exported = new Set<string>();
  let deliveryMetrics = '';

  beforeAll(async () => {
    platform = await Platform.start();
    for (const name of SERVICE_NAMES) {
      const res = await fetch(`${platform.url(name)}/metrics`);
      expect(res.status).toBe(200);
      const text = await res.text();
      if (name === 'delivery') deliveryMetrics = text;
      for (const m of exportedNames(text)) exported.add(m);
    }
  });

  afterAll(async () => {
    await platform?.stop();
  });

  const missing = (exprs: { where: string; expr: string }[]) =>
    exprs.flatMap(({ where, expr }) =>
      parsePromql(expr)
        .metrics.filter((m) => !exported.has(m))
        .map((m) => `${where}: ${m}`),
    );

  it('scrapes the metrics the services are known to export (the scrape itself works)', () => {
    expect(exported).toContain('stagehook_delivery_attempt_seconds_bucket');
    expect(exported).toContain('stagehook_relay_pending_events');
    expect(exported.has('stagehook_no_such_metric')).toBe(false);
  });

  it('reads the gauges added for autoscaling and alerts from the database (a number, not NaN)', () => {
    expect(deliveryMetrics).toMatch(/^stagehook_delivery_due_deliveries\{service="delivery"\} 0$/m);
    expect(deliveryMetrics).toMatch(/^stagehook_delivery_endpoints_disabled\{service="delivery"\} 0$/m);
  });

  it('has every metric of the Grafana dashboard', () => {
    expect(missing(dashboardTargets().map((t) => ({ where: t.panel, expr: grafanaToPromql(t.expr) })))).toEqual([]);
  });

  it('has every metric of the Prometheus alert rules', () => {
    expect(missing(alertRules().groups.flatMap((g) => g.rules.map((r) => ({ where: r.alert, expr: r.expr }))))).toEqual([]);
  });

  it("has the metric delivery's KEDA prometheus trigger scales on", () => {
    const so = readYaml(join(deployDir, 'k8s/base/keda.yaml')) as { spec: { triggers: { type: string; metadata: { query?: string } }[] } };
    const queries = so.spec.triggers.filter((t) => t.type === 'prometheus').map((t) => ({ where: 'keda.yaml', expr: t.metadata.query ?? '' }));
    expect(queries.length).toBeGreaterThan(0);
    expect(missing(queries)).toEqual([]);
  });
});
