/**
 * The Grafana dashboard and the Prometheus alert rules are well formed: the rules file has the
 * structure Prometheus loads, and every query parses with Prometheus's own PromQL grammar
 * (@prometheus-io/lezer-promql). That the metrics they read exist is observability.int.spec.ts.
 */
import { describe, expect, it } from '@jest/globals';
import { alertRules, dashboard, dashboardTargets, grafanaToPromql, parsePromql } from './support/observability.js';

const DURATION = /^(\d+(ms|s|m|h|d|w|y))+$/;

describe('deploy/prometheus/alerts.yml', () => {
  it('has the structure Prometheus loads: named groups of rules with an alert name, an expression, labels and annotations', () => {
    const { groups } = alertRules();
    expect(groups.length).toBeGreaterThan(0);
    expect(new Set(groups.map((g) => g.name)).size).toBe(groups.length);
    for (const g of groups) {
      expect(typeof g.name).toBe('string');
      expect(g.rules.length).toBeGreaterThan(0);
      for (const r of g.rules) {
        expect(Object.keys(r).filter((k) => !['alert', 'expr', 'for', 'keep_firing_for', 'labels', 'annotations'].includes(k))).toEqual([]);
        expect(r.alert).toMatch(/^[A-Za-z_][A-Za-z0-9_]*$/);
        expect(typeof r.expr).toBe('string');
        if (r.for !== undefined) expect(r.for).toMatch(DURATION);
        for (const v of [...Object.values(r.labels ?? {}), ...Object.values(r.annotations ?? {})]) expect(typeof v).toBe('string');
        expect(r.labels?.severity).toMatch(/^(info|warning|critical)$/);
      }
    }
  });

  it('alerts on endpoints delivery disabled, a growing relay lag and dead letters', () => {
    const byName = new Map(alertRules().groups.flatMap((g) => g.rules.map((r) => [r.alert, r] as const)));
    expect(parsePromql(byName.get('StagehookEndpointAutoDisabled')!.expr).metrics).toContain('stagehook_delivery_endpoints_disabled');
    expect(parsePromql(byName.get('StagehookRelayLagGrowing')!.expr).metrics).toContain('stagehook_relay_pending_events');
    expect(parsePromql(byName.get('StagehookDeadLettersAppearing')!.expr).metrics).toContain('stagehook_messages_dead_lettered_total');
  });

  it('has only expressions that parse as PromQL', () => {
    const problems: string[] = [];
    for (const r of alertRules().groups.flatMap((g) => g.rules)) {
      try {
        parsePromql(r.expr);
      } catch (err) {
        problems.push(`${r.alert}: ${(err as Error).message}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('fails on an expression that does not parse (the check can fail)', () => {
    expect(() => parsePromql('sum(rate(stagehook_messages_handled_total[5m])')).toThrow(/does not parse/);
  });
});

describe('deploy/grafana/stagehook.json', () => {
  it('is a dashboard whose panels all query Prometheus with PromQL that parses', () => {
    const d = dashboard();
    expect(d.uid).toBe('stagehook');
    const targets = dashboardTargets();
    expect(targets.length).toBeGreaterThan(15);
    const problems: string[] = [];
    for (const t of targets) {
      try {
        parsePromql(grafanaToPromql(t.expr));
      } catch (err) {
        problems.push(`${t.panel}: ${(err as Error).message}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('shows delivery outcomes, attempt latency, breakers, consumer and relay lag, and the oldest pending delivery', () => {
    const read = new Set(dashboardTargets().flatMap((t) => parsePromql(grafanaToPromql(t.expr)).metrics));
    for (const m of [
      'stagehook_delivery_attempts_total',
      'stagehook_delivery_attempt_seconds_bucket',
      'stagehook_delivery_breakers_open',
      'stagehook_consumer_pending_messages',
      'stagehook_relay_pending_events',
      'stagehook_delivery_oldest_pending_seconds',
    ]) {
      expect(read).toContain(m);
    }
  });
});
