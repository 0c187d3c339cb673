import type { StageType } from '@stagehook/sdk';

export interface StageCardProps {
  name: string;
  type: StageType;
  count: number | undefined;
  problems: readonly string[];
  selected?: boolean;
  detail?: string;
}

/** A stage on the canvas: name, type, live item count, and what saving found wrong with it. */
export function StageCard({ name, type, count, problems, selected, detail }: StageCardProps) {
  const cls = ['stage-node', selected ? 'selected' : '', problems.length > 0 ? 'invalid' : ''].filter(Boolean).join(' ');
  return (
    <div className={cls} aria-invalid={problems.length > 0 || undefined}>
      {count !== undefined && (
        <span className="count" title="Items currently in this stage" aria-label={`${count} item${count === 1 ? '' : 's'} in stage`} data-testid="stage-count">
          {count}
        </span>
      )}
      <strong>{name}</strong>
      <div className="type">{type}</div>
      {detail && <div className="type">{detail}</div>}
      {problems.length > 0 && (
        <ul className="problems" aria-label={`Problems with ${name}`}>
          {problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
