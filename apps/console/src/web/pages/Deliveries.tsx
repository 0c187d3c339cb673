import type { AttemptView, DeliveryPage, DeliveryStatus, DeliveryView } from '@stagehook/sdk';
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useId, useRef, useState } from 'react';
import { useLocation, useSearch } from 'wouter';
import { api, errorMessage, ok } from '../api';
import { AttemptInspector } from '../components/AttemptInspector';
import { useEndpoints } from '../queries';

const ROW = 40;
const FILTERS = ['endpointId', 'status', 'eventType', 'itemId', 'since'] as const;
type Filter = (typeof FILTERS)[number];

export default function Deliveries({ selected }: { selected?: string }) {
  const search = useSearch();
  const [, navigate] = useLocation();
  const params = new URLSearchParams(search);
  const filters = Object.fromEntries(FILTERS.map((f) => [f, params.get(f) ?? ''])) as Record<Filter, string>;
  const setFilter = (f: Filter, v: string) => {
    const next = new URLSearchParams(search);
    if (v) next.set(f, v);
    else next.delete(f);
    navigate(`/deliveries${selected ? `/${selected}` : ''}?${next.toString()}`, { replace: true });
  };
  const endpoints = useEndpoints();
  const ids = Object.fromEntries(FILTERS.map((f) => [f, `${useId()}`])) as Record<Filter, string>;

  const list = useInfiniteQuery({
    queryKey: ['deliveries', 'list', filters],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      ok<DeliveryPage>(
        api.delivery.GET('/deliveries', {
          params: {
            query: {
              limit: 200,
              ...(filters.endpointId ? { endpointId: filters.endpointId } : {}),
              ...(filters.status ? { status: filters.status as DeliveryStatus } : {}),
              ...(filters.eventType ? { eventType: filters.eventType } : {}),
              ...(filters.itemId ? { itemId: filters.itemId } : {}),
              ...(filters.since ? { since: new Date(filters.since).toISOString() } : {}),
              ...(pageParam ? { cursor: pageParam } : {}),
            },
          },
        }),
      ),
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const rows = list.data?.pages.flatMap((p) => p.data) ?? [];
  const open = (id: string) => navigate(`/deliveries/${id}${search ? `?${search}` : ''}`);

  return (
    <>
      <h1>Deliveries</h1>
      <form className="filters" aria-label="Filters" onSubmit={(e) => e.preventDefault()}>
        <div>
          <label htmlFor={ids.endpointId}>Endpoint</label>
          <select id={ids.endpointId} value={filters.endpointId} onChange={(e) => setFilter('endpointId', e.target.value)}>
            <option value="">All endpoints</option>
            {endpoints.data?.map((ep) => (
              <option key={ep.id} value={ep.id}>
                {ep.name}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor={ids.status}>Status</label>
          <select id={ids.status} value={filters.status} onChange={(e) => setFilter('status', e.target.value)}>
            <option value="">Any</option>
            <option value="pending">pending</option>
            <option value="delivered">delivered</option>
            <option value="failed">failed</option>
          </select>
        </div>
        <div>
          <label htmlFor={ids.eventType}>Event type</label>
          <input id={ids.eventType} defaultValue={filters.eventType} onBlur={(e) => setFilter('eventType', e.target.value.trim())} placeholder="workflow.stage.entered" />
        </div>
        <div>
          <label htmlFor={ids.itemId}>Item</label>
          <input id={ids.itemId} defaultValue={filters.itemId} onBlur={(e) => setFilter('itemId', e.target.value.trim())} placeholder="item id" />
        </div>
        <div>
          <label htmlFor={ids.since}>Since</label>
          <input id={ids.since} type="datetime-local" value={filters.since} onChange={(e) => setFilter('since', e.target.value)} />
        </div>
      </form>
      <div className="grid2">
        <section aria-label="Delivery log">
          {list.error && (
            <p role="alert" className="error">
              {errorMessage(list.error)}
            </p>
          )}
          {list.isPending ? (
            <p role="status">Loading…</p>
          ) : (
            <DeliveryList rows={rows} selected={selected} onOpen={open} onEnd={() => list.hasNextPage && !list.isFetchingNextPage && void list.fetchNextPage()} />
          )}
          <p className="muted" role="status" data-testid="delivery-count">
            {rows.length} deliver{rows.length === 1 ? 'y' : 'ies'} loaded{list.hasNextPage ? ' (scroll for more)' : ''}
          </p>
        </section>
        <aside className="card" aria-label="Delivery details">
          {selected ? <DeliveryDetail id={selected} /> : <p className="muted">Open a delivery to read its attempts.</p>}
          {filters.endpointId && <RecoverFailed endpointId={filters.endpointId} />}
        </aside>
      </div>
    </>
  );
}

/** Only the rows in view are in the DOM, so 10,000+ rows scroll like 20. */
function DeliveryList({ rows, selected, onOpen, onEnd }: { rows: DeliveryView[]; selected?: string; onOpen: (id: string) => void; onEnd: () => void }) {
  const parent = useRef<HTMLDivElement>(null);
  const virtual = useVirtualizer({ count: rows.length, getScrollElement: () => parent.current, estimateSize: () => ROW, overscan: 12 });
  const items = virtual.getVirtualItems();
  const last = items[items.length - 1];
  useEffect(() => {
    if (last && last.index >= rows.length - 20) onEnd();
  }, [last, rows.length, onEnd]);
  if (rows.length === 0) return <p>No deliveries match.</p>;
  return (
    <>
      <div className="vhead" aria-hidden="true">
        <span>Status</span>
        <span>Attempts</span>
        <span>Event</span>
        <span>HTTP</span>
        <span>Created</span>
      </div>
      <div ref={parent} className="vlist" role="listbox" aria-label="Deliveries" data-testid="delivery-list">
        <div style={{ height: virtual.getTotalSize(), position: 'relative' }}>
          {items.map((v) => {
            const d = rows[v.index];
            return (
              <div
                key={d.id}
                role="option"
                tabIndex={0}
                aria-selected={d.id === selected}
                className="vrow"
                style={{ top: v.start, height: ROW }}
                onClick={() => onOpen(d.id)}
                onKeyDown={(e) => {
                  if (e.key === 'Enter' || e.key === ' ') {
                    e.preventDefault();
                    onOpen(d.id);
                  }
                }}
                data-delivery-id={d.id}
              >
                <span>
                  <span className={`badge ${d.status}`}>{d.status}</span>
                </span>
                <span>
                  {d.attempts}/{d.maxAttempts}
                </span>
                <span>{d.eventType}</span>
                <span>{d.lastStatusCode ?? '—'}</span>
                <span>
                  <time dateTime={d.createdAt}>{new Date(d.createdAt).toLocaleTimeString()}</time>
                </span>
              </div>
            );
          })}
        </div>
      </div>
    </>
  );
}

function DeliveryDetail({ id }: { id: string }) {
  const queryClient = useQueryClient();
  const delivery = useQuery({
    queryKey: ['deliveries', 'one', id],
    queryFn: () => ok<DeliveryView>(api.delivery.GET('/deliveries/{id}', { params: { path: { id } } })),
    refetchInterval: (q) => (q.state.data?.status === 'pending' ? 1000 : false),
  });
  const attempts = useQuery({
    queryKey: ['attempts', id],
    queryFn: async () => (await ok<{ data: AttemptView[] }>(api.delivery.GET('/deliveries/{id}/attempts', { params: { path: { id } } }))).data,
    // A redelivery's attempt lands shortly after the 202; poll while the delivery is pending.
    refetchInterval: delivery.data?.status === 'pending' ? 1000 : false,
  });
  const redeliver = useMutation({
    mutationFn: () => ok(api.delivery.POST('/deliveries/{id}/redeliver', { params: { path: { id } } })),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ['deliveries'] });
      await queryClient.invalidateQueries({ queryKey: ['attempts', id] });
    },
  });
  if (delivery.isPending) return <p role="status">Loading…</p>;
  if (delivery.error)
    return (
      <p role="alert" className="error">
        {errorMessage(delivery.error)}
      </p>
    );
  const d = delivery.data;
  return (
    <div>
      <h2>Delivery</h2>
      <p>
        <code>{d.id}</code> <span className={`badge ${d.status}`}>{d.status}</span>
      </p>
      <p className="muted">
        {d.eventType}
        {d.itemId && (
          <>
            {' '}
            · item <a href={`/items/${d.itemId}`}>{d.itemId.slice(0, 8)}</a>
          </>
        )}
        {d.nextAttemptAt && <> · next attempt {new Date(d.nextAttemptAt).toLocaleTimeString()}</>}
      </p>
      <button type="button" onClick={() => redeliver.mutate()} disabled={redeliver.isPending || d.status === 'pending'}>
        Redeliver
      </button>
      {redeliver.isSuccess && (
        <p role="status" className="ok">
          Queued one more attempt.
        </p>
      )}
      {redeliver.error && (
        <p role="alert" className="error">
          {errorMessage(redeliver.error)}
        </p>
      )}
      <h3>Attempts</h3>
      {attempts.data ? <AttemptInspector attempts={attempts.data} /> : <p role="status">Loading attempts…</p>}
    </div>
  );
}

function RecoverFailed({ endpointId }: { endpointId: string }) {
  const sinceId = useId();
  const [since, setSince] = useState(() => new Date(Date.now() - 3600_000).toISOString().slice(0, 16));
  const recover = useMutation({
    mutationFn: () =>
      ok<{ queued: number }>(api.delivery.POST('/endpoints/{id}/recover', { params: { path: { id: endpointId } }, body: { since: new Date(since).toISOString() } })),
  });
  return (
    <form
      className="form"
      style={{ marginTop: '1rem' }}
      onSubmit={(e) => {
        e.preventDefault();
        recover.mutate();
      }}
    >
      <h3>Recover failed deliveries</h3>
      <label htmlFor={sinceId}>Failed since</label>
      <input id={sinceId} type="datetime-local" value={since} onChange={(e) => setSince(e.target.value)} required />
      <button type="submit" className="secondary" disabled={recover.isPending}>
        Recover
      </button>
      {recover.data && <p role="status">{recover.data.queued} queued again.</p>}
      {recover.error && (
        <p role="alert" className="error">
          {errorMessage(recover.error)}
        </p>
      )}
    </form>
  );
}
