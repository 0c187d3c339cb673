import type { DarwinDocument, ItemHistoryView, ItemView } from '@stagehook/sdk';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useId } from 'react';
import { useSearchParams } from 'wouter';
import { api, errorMessage, ok } from '../api';
import { AnnotationsSvg } from '../components/AnnotationsSvg';

export default function ItemPage({ id }: { id: string }) {
  const item = useQuery({ queryKey: ['item', id], queryFn: () => ok<ItemView>(api.items.GET('/items/{itemId}', { params: { path: { itemId: id } } })) });
  const history = useQuery({
    queryKey: ['item', id, 'history'],
    queryFn: () => ok<ItemHistoryView>(api.items.GET('/items/{itemId}/history', { params: { path: { itemId: id }, query: { limit: 500 } } })),
  });
  const [params, setParams] = useSearchParams();
  const sliderId = useId();
  const latest = item.data?.version ?? 1;
  const version = Math.min(Math.max(1, Number(params.get('version') ?? latest) || latest), latest);
  const darwin = useQuery({
    queryKey: ['item', id, 'darwin', version],
    queryFn: () => ok<DarwinDocument>(api.items.GET('/items/{itemId}/darwin', { params: { path: { itemId: id }, query: { version } } })),
    enabled: Boolean(item.data),
    placeholderData: keepPreviousData,
  });

  if (item.isPending) return <p role="status">Loading…</p>;
  if (item.error)
    return (
      <p role="alert" className="error">
        {errorMessage(item.error)}
      </p>
    );
  const i = item.data;
  const shapes = darwin.data?.annotations.filter((a) => !a.tag) ?? [];
  const tags = darwin.data?.annotations.filter((a) => a.tag).map((a) => a.name) ?? [];
  const eventAt = history.data?.events.find((e) => e.version === version);

  return (
    <>
      <h1>{i.name}</h1>
      <p className="muted">
        {i.path} · {i.status} · {i.slot.width}×{i.slot.height} · version {i.version}
      </p>
      <div className="grid2">
        <section aria-label="Annotations">
          <div className="form">
            <label htmlFor={sliderId}>
              Version {version} of {latest}
              {eventAt ? ` — ${eventAt.type}` : ''}
            </label>
            <input
              id={sliderId}
              type="range"
              min={1}
              max={latest}
              value={version}
              onChange={(e) => setParams({ version: e.target.value }, { replace: true })}
              aria-valuetext={`version ${version} of ${latest}`}
            />
          </div>
          <p role="status" data-testid="annotation-count">
            {shapes.length} shape{shapes.length === 1 ? '' : 's'} at version {version}
            {tags.length > 0 ? ` · tags: ${tags.join(', ')}` : ''}
          </p>
          <AnnotationsSvg width={i.slot.width} height={i.slot.height} annotations={shapes} imageUrl={i.slot.sourceUrl} label={`Annotations of ${i.name} at version ${version}`} />
          <details>
            <summary>Darwin JSON at version {version} (what a webhook sent for this version)</summary>
            <pre data-testid="darwin-json">{darwin.data ? JSON.stringify(darwin.data, null, 2) : 'Loading…'}</pre>
          </details>
        </section>
        <aside className="card" aria-label="Event history">
          <h2>Event history</h2>
          {history.error && (
            <p role="alert" className="error">
              {errorMessage(history.error)}
            </p>
          )}
          <ol>
            {history.data?.events.map((e) => (
              <li key={e.id}>
                <button type="button" className="secondary" onClick={() => setParams({ version: String(e.version) }, { replace: true })} aria-label={`Show version ${e.version}`}>
                  v{e.version}
                </button>{' '}
                {e.type}{' '}
                <time dateTime={e.createdAt} className="muted">
                  {new Date(e.createdAt).toLocaleString()}
                </time>
              </li>
            ))}
          </ol>
        </aside>
      </div>
    </>
  );
}
