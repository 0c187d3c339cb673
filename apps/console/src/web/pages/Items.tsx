import type { DatasetView, ItemPage as ItemPageView, ItemStatus } from '@stagehook/sdk';
import { useQuery } from '@tanstack/react-query';
import { useId } from 'react';
import { Link, useLocation, useSearch } from 'wouter';
import { api, errorMessage, ok } from '../api';

const STATUSES: ItemStatus[] = ['new', 'in_progress', 'to_review', 'done', 'skipped', 'archived'];

export default function Items() {
  const search = useSearch();
  const [, navigate] = useLocation();
  const params = new URLSearchParams(search);
  const f = { datasetId: params.get('datasetId') ?? '', status: params.get('status') ?? '', tag: params.get('tag') ?? '', cursor: params.get('cursor') ?? '' };
  const set = (patch: Partial<typeof f>) => {
    const next = new URLSearchParams();
    for (const [k, v] of Object.entries({ ...f, cursor: '', ...patch })) if (v) next.set(k, v);
    navigate(`/items?${next.toString()}`);
  };
  const ids = { dataset: useId(), status: useId(), tag: useId() };
  const datasets = useQuery({ queryKey: ['datasets'], queryFn: async () => (await ok<{ datasets: DatasetView[] }>(api.items.GET('/datasets'))).datasets });
  const items = useQuery({
    queryKey: ['items', f],
    queryFn: () =>
      ok<ItemPageView>(
        api.items.GET('/items', {
          params: {
            query: {
              limit: 50,
              ...(f.datasetId ? { datasetId: f.datasetId } : {}),
              ...(f.status ? { status: f.status as ItemStatus } : {}),
              ...(f.tag ? { tag: f.tag } : {}),
              ...(f.cursor ? { cursor: f.cursor } : {}),
            },
          },
        }),
      ),
  });

  return (
    <>
      <h1>Items</h1>
      <form className="filters" aria-label="Filters" onSubmit={(e) => e.preventDefault()}>
        <div>
          <label htmlFor={ids.dataset}>Dataset</label>
          <select id={ids.dataset} value={f.datasetId} onChange={(e) => set({ datasetId: e.target.value })}>
            <option value="">All datasets</option>
            {datasets.data?.map((d) => (
              <option key={d.id} value={d.id}>
                {d.name}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor={ids.status}>Status</label>
          <select id={ids.status} value={f.status} onChange={(e) => set({ status: e.target.value })}>
            <option value="">Any</option>
            {STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor={ids.tag}>Tag</label>
          <input id={ids.tag} defaultValue={f.tag} onBlur={(e) => e.target.value.trim() !== f.tag && set({ tag: e.target.value.trim() })} />
        </div>
      </form>
      {items.error && (
        <p role="alert" className="error">
          {errorMessage(items.error)}
        </p>
      )}
      {items.isPending && <p role="status">Loading…</p>}
      {items.data && (
        <>
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Status</th>
                <th scope="col">Tags</th>
                <th scope="col">Annotations</th>
                <th scope="col">Version</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {items.data.items.map((i) => (
                <tr key={i.id}>
                  <td>
                    <Link href={`/items/${i.id}`}>{i.name}</Link>
                  </td>
                  <td>{i.status}</td>
                  <td>{i.tags.join(', ')}</td>
                  <td>{i.annotationCount}</td>
                  <td>{i.version}</td>
                  <td>
                    <time dateTime={i.updatedAt}>{new Date(i.updatedAt).toLocaleString()}</time>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {items.data.items.length === 0 && <p>No items match.</p>}
          <div className="row" style={{ marginTop: '0.6rem' }}>
            {f.cursor && (
              <button type="button" className="secondary" onClick={() => set({ cursor: '' })}>
                First page
              </button>
            )}
            {items.data.nextCursor && (
              <button type="button" className="secondary" onClick={() => set({ cursor: items.data.nextCursor ?? '' })}>
                Next page
              </button>
            )}
          </div>
        </>
      )}
    </>
  );
}
