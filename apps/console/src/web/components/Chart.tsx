import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartProps {
  title: string;
  /** x values first (seconds for time axes), then one array per series. */
  data: uPlot.AlignedData;
  series: Array<{ label: string; stroke: string; fill?: string; bars?: boolean }>;
  time?: boolean;
  xLabels?: string[];
  height?: number;
}

/** A uPlot chart sized to its container, with a text summary for screen readers. */
export function Chart({ title, data, series, time = true, xLabels, height = 220 }: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = `${series.map((s) => s.label).join('|')}:${time}:${xLabels?.join('|') ?? ''}`;

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const bars = uPlot.paths.bars?.({ size: [0.6, 60] });
    const opts: uPlot.Options = {
      width: el.clientWidth || 400,
      height,
      scales: { x: { time } },
      axes: [{ stroke: 'currentColor', ...(xLabels ? { values: (_u: uPlot, ticks: number[]) => ticks.map((t) => xLabels[t] ?? '') } : {}) }, { stroke: 'currentColor' }],
      series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.stroke, fill: s.fill, width: 2, ...(s.bars && bars ? { paths: bars } : {}) }))],
    };
    plot.current = new uPlot(opts, data, el);
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: el.clientWidth || 400, height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
    // Rebuilt only when the chart's shape changes; data updates go through setData below.
  }, [shape, height]);

  useEffect(() => {
    plot.current?.setData(data);
  }, [data]);

  const totals = series.map((s, i) => `${s.label}: ${(data[i + 1] as Array<number | null>).reduce<number>((n, v) => n + (v ?? 0), 0)}`).join(', ');
  return (
    <figure className="card" style={{ margin: 0 }}>
      <figcaption>
        <strong>{title}</strong> <span className="muted">({totals})</span>
      </figcaption>
      <div ref={box} className="chart" aria-hidden="true" />
    </figure>
  );
}
