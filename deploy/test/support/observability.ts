import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parser } from '@prometheus-io/lezer-promql';
import { deployDir, readYaml } from './manifests.js';

/** Grafana's built-in interval variables, replaced by durations so the PromQL parser reads the query. */
const GRAFANA_VARIABLES: Record<string, string> = { __rate_interval: '5m', __interval: '1m', __range: '1h' };

export function grafanaToPromql(expr: string): string {
  return expr.replace(/\$\{?(\w+)\}?/g, (whole, name: string) => GRAFANA_VARIABLES[name] ?? whole);
}

/** Parses one PromQL expression with Prometheus's own grammar; throws naming the position of an error. */
export function parsePromql(expr: string): { metrics: string[] } {
  const tree = parser.parse(expr);
  const metrics: string[] = [];
  let error: number | undefined;
  tree.iterate({
    enter: (n) => {
      if (n.type.isError && error === undefined) error = n.from;
      if (n.name === 'Identifier' && n.node.parent?.name === 'VectorSelector') metrics.push(expr.slice(n.from, n.to));
    },
  });
  if (error !== undefined) throw new Error(`PromQL does not parse at ${error}: ${expr.slice(0, error)}⟨here⟩${expr.slice(error)}`);
  if (metrics.length === 0) throw new Error(`PromQL reads no metric: ${expr}`);
  return { metrics };
}

export interface DashboardTarget {
  panel: string;
  expr: string;
}

interface Panel {
  title?: string;
  type: string;
  targets?: { expr?: string }[];
  panels?: Panel[];
}

export function dashboard(): { title: string; uid: string; panels: Panel[] } {
  return JSON.parse(readFileSync(join(deployDir, 'grafana/stagehook.json'), 'utf8')) as { title: string; uid: string; panels: Panel[] };
}

export function dashboardTargets(): DashboardTarget[] {
  const walk = (ps: Panel[]): DashboardTarget[] =>
    ps.flatMap((p) => [...(p.targets ?? []).map((t) => ({ panel: p.title ?? p.type, expr: t.expr ?? '' })), ...walk(p.panels ?? [])]);
  return walk(dashboard().panels);
}

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, unknown>;
  annotations?: Record<string, unknown>;
}

export function alertRules(): { groups: { name: string; rules: AlertRule[] }[] } {
  return readYaml(join(deployDir, 'prometheus/alerts.yml')) as { groups: { name: string; rules: AlertRule[] }[] };
}

/** Series names a Prometheus scrape of this exposition text can return, samples or not yet. */
export function exportedNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const line of exposition.split('\n')) {
    const type = /^# TYPE (\S+) (\w+)/.exec(line);
    if (type) {
      const [, name, kind] = type;
      names.add(name);
      if (kind === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
      if (kind === 'summary') for (const s of ['_sum', '_count']) names.add(name + s);
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/.exec(line);
    if (sample) names.add(sample[1]);
  }
  return names;
}
