import type { AttemptView, CircuitView, DeadLetterPage, StageCountsView } from '@stagehook/sdk';
import { useQueries, useQuery } from '@tanstack/react-query';
import { type ReactNode, useMemo } from 'react';
import type uPlot from 'uplot';
import { Link } from 'wouter';
import { api, ApiError, ok } from '../api';
import { Chart } from '../components/Chart';
import { useLiveEvents } from '../live';
import { useEndpoints, useRecentDeliveries, useWorkflows } from '../queries';
import { DEAD_LETTER_SERVICES, deadLetterClient } from './DeadLetters';

function percentile(sorted: number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export default function Overview() {
  const deliveries = useRecentDeliveries(200);
  const endpoints = useEndpoints();
  const workflows = useWorkflows();
  const events = useLiveEvents();
  const rows = useMemo(() => deliveries.data?.data ?? [], [deliveries.data]);
  const recentIds = rows
    .filter((d) => d.attempts > 0)
    .slice(0, 20)
    .map((d) => d.id);

  const attempts = useQuery({
    queryKey: ['attempts', 'overview', recentIds],
    enabled: recentIds.length > 0,
    queryFn: async () =>
      (await Promise.all(recentIds.map((id) => ok<{ data: AttemptView[] }>(api.delivery.GET('/deliveries/{id}/attempts', { params: { path: { id } } }))))).flatMap((r) => r.data),
  });
  const circuits = useQueries({
    queries: (endpoints.data ?? []).map((e) => ({
      queryKey: ['circuits', e.id],
      queryFn: () => ok<CircuitView>(api.delivery.GET('/endpoints/{id}/circuit', { params: { path: { id: e.id } } })),
      retry: false,
    })),
  });
  // Operators only (DEAD_LETTER_OPERATORS): anyone else gets 404 and the figure is left out.
  const deadLetters = useQuery({
    queryKey: ['dead-letters', 'overview'],
    retry: false,
    queryFn: async () => {
      const pages = await Promise.all(
        DEAD_LETTER_SERVICES.map((service) => ok<DeadLetterPage>(deadLetterClient(service).GET('/dead-letters', { params: { query: { unresolved: 'true', limit: 500 } } }))),
      );
      return { count: pages.reduce((n, p) => n + p.items.length, 0), more: pages.some((p) => p.nextBeforeId !== null) };
    },
  });
  const firstWorkflow = workflows.data?.[0];
  const stages = useQuery({
    queryKey: ['stages', firstWorkflow?.workflowId],
    enabled: Boolean(firstWorkflow),
    queryFn: () => ok<StageCountsView>(api.workflow.GET('/workflows/{id}/stages', { params: { path: { id: firstWorkflow?.workflowId ?? '' } } })),
  });

  const perMinute = useMemo((): uPlot.AlignedData => {
    const buckets = new Map<number, [number, number]>();
    for (const d of rows) {
      const m = Math.floor(Date.parse(d.createdAt) / 60_000) * 60;
      const b = buckets.get(m) ?? [0, 0];
      if (d.status === 'delivered') b[0]++;
      else if (d.status === 'failed') b[1]++;
      buckets.set(m, b);
    }
    const xs = [...buckets.keys()].sort((a, b) => a - b);
    return [xs, xs.map((x) => buckets.get(x)?.[0] ?? 0), xs.map((x) => buckets.get(x)?.[1] ?? 0)];
  }, [rows]);

  const liveSeries = useMemo((): uPlot.AlignedData => {
    const now = Math.floor(Date.now() / 10_000) * 10;
    const xs = Array.from({ length: 30 }, (_, i) => now - (29 - i) * 10);
    const counts = new Map<number, number>();
    for (const e of events) {
      const t = Math.floor(Date.parse(e.time) / 10_000) * 10;
      counts.set(t, (counts.get(t) ?? 0) + 1);
    }
    return [xs, xs.map((x) => counts.get(x) ?? 0)];
  }, [events]);

  const delivered = rows.filter((d) => d.status === 'delivered').length;
  const failed = rows.filter((d) => d.status === 'failed').length;
  const pending = rows.filter((d) => d.status === 'pending').length;
  const rate = delivered + failed > 0 ? `${Math.round((delivered / (delivered + failed)) * 1000) / 10}%` : '—';
  const durations = (attempts.data ?? []).map((a) => a.durationMs).sort((a, b) => a - b);
  const p50 = percentile(durations, 50);
  const p99 = percentile(durations, 99);
  const open = circuits.filter((c) => c.data && c.data.state !== 'closed').length;
  const disabled = (endpoints.data ?? []).filter((e) => !e.active).length;

  return (
    <>
      <h1>Overview</h1>
      <div className="cards" role="list" aria-label="Figures">
        <Figure label="Success rate (last 200 deliveries)" value={rate} />
        <Figure label="Delivered / failed / pending" value={`${delivered} / ${failed} / ${pending}`} />
        <Figure label="Attempt latency p50 / p99" value={p50 === undefined ? '—' : `${p50} / ${p99} ms`} />
        <Figure label="Open circuits" value={String(open)} />
        <Figure label="Disabled endpoints" value={String(disabled)} />
        <Figure label="Live events (this session)" value={String(events.length)} />
        {deadLetters.data && (
          <Figure label="Unresolved dead letters" value={`${deadLetters.data.count}${deadLetters.data.more ? '+' : ''}`}>
            <Link href="/dead-letters?unresolved=1">Open dead letters</Link>
          </Figure>
        )}
        {deadLetters.error && !(deadLetters.error instanceof ApiError && deadLetters.error.status === 404) && <Figure label="Unresolved dead letters" value="?" />}
      </div>
      <h2>Deliveries per minute</h2>
      <Chart
        title="Deliveries per minute"
        data={perMinute}
        series={[
          { label: 'delivered', stroke: '#1f9d55', fill: '#1f9d5533' },
          { label: 'failed', stroke: '#d64545', fill: '#d6454533' },
        ]}
      />
      <h2>Live events</h2>
      <Chart title="Events per 10 s from the live feed" data={liveSeries} series={[{ label: 'events', stroke: '#4363d8', fill: '#4363d833' }]} />
      <h2>Items per stage</h2>
      {firstWorkflow && stages.data ? (
        <>
          <p>
            <Link href={`/workflows/${firstWorkflow.workflowId}`}>{firstWorkflow.name}</Link>
          </p>
          <Chart
            title={`Items per stage in ${firstWorkflow.name}`}
            time={false}
            xLabels={stages.data.stages.map((s) => s.stageName)}
            data={[stages.data.stages.map((_, i) => i), stages.data.stages.map((s) => s.count)]}
            series={[{ label: 'items', stroke: '#4363d8', fill: '#4363d899', bars: true }]}
          />
        </>
      ) : (
        <p className="muted">No workflow yet.</p>
      )}
    </>
  );
}

function Figure({ label, value, children }: { label: string; value: string; children?: ReactNode }) {
  return (
    <div className="card" role="listitem">
      <div className="muted">{label}</div>
      <div className="metric">{value}</div>
      {children}
    </div>
  );
}
