import type { DeadLetterPage, DeadLetterSummaryView, DeadLetterView, RedriveResultView, ReplayAllView } from '@stagehook/sdk';
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { useLocation, useSearch } from 'wouter';
import { api, ApiError, errorMessage, ok } from '../api';

/**
 * The services that run consumers, hence keep dead letters and serve `/dead-letters`
 * (packages/platform's DeadLettersController): the registry's are delivery's own disables it
 * mirrors and custom events published on the bus.
 */
export const DEAD_LETTER_SERVICES = ['delivery', 'items', 'workflow', 'webhooks'] as const;
type Service = (typeof DEAD_LETTER_SERVICES)[number];

/** The four services mount the same controller: one client type for their dead-letter routes. */
export const deadLetterClient = (service: Service) => api.deadLetters[service];

/** Outcomes that resolve a dead letter (packages/messaging RESOLVED_REPLAY_OUTCOMES). */
const RESOLVED = new Set(['handled', 'already-handled']);
const PREVIEW_CHARS = 4000;

/** Validation reasons can run to a page; lists show the start, the detail shows it whole. */
const clip = (text: string, n: number) => (text.length > n ? `${text.slice(0, n)}…` : text);

interface Filters {
  service: Service;
  consumer: string;
  reason: string;
  unresolved: boolean;
  id: string;
}

function readFilters(search: string): Filters {
  const p = new URLSearchParams(search);
  const service = p.get('service');
  return {
    service: (DEAD_LETTER_SERVICES as readonly string[]).includes(service ?? '') ? (service as Service) : 'delivery',
    consumer: p.get('consumer') ?? '',
    reason: p.get('reason') ?? '',
    unresolved: p.get('unresolved') === '1',
    id: p.get('id') ?? '',
  };
}

export default function DeadLetters() {
  const search = useSearch();
  const [, navigate] = useLocation();
  const filters = readFilters(search);
  const set = (patch: Partial<Filters>) => {
    const next = { ...filters, ...patch };
    const q = new URLSearchParams();
    q.set('service', next.service);
    if (next.consumer) q.set('consumer', next.consumer);
    if (next.reason) q.set('reason', next.reason);
    if (next.unresolved) q.set('unresolved', '1');
    if (next.id) q.set('id', next.id);
    navigate(`/dead-letters?${q.toString()}`, { replace: true });
  };
  const ids = { service: useId(), consumer: useId(), reason: useId(), unresolved: useId() };
  const [reasonDraft, setReasonDraft] = useState(filters.reason);

  const list = useInfiniteQuery({
    queryKey: ['dead-letters', filters.service, 'list', filters.consumer, filters.reason, filters.unresolved],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      ok<DeadLetterPage>(
        deadLetterClient(filters.service).GET('/dead-letters', {
          params: {
            query: {
              limit: 50,
              ...(filters.consumer ? { consumer: filters.consumer } : {}),
              ...(filters.reason ? { reason: filters.reason } : {}),
              ...(filters.unresolved ? { unresolved: 'true' } : {}),
              ...(pageParam ? { beforeId: pageParam } : {}),
            },
          },
        }),
      ),
    getNextPageParam: (last) => last.nextBeforeId ?? undefined,
    retry: (n, err) => !(err instanceof ApiError && err.status < 500) && n < 2,
  });
  const rows = list.data?.pages.flatMap((p) => p.items) ?? [];
  const consumers = list.data?.pages[0]?.consumers ?? [];
  const notOperator = list.error instanceof ApiError && list.error.status === 404;

  return (
    <>
      <h1>Dead letters</h1>
      <p className="hint">
        Events a service's consumer gave up on, kept with the reason. A replay runs the same consumer again (its idempotency record means an event that took effect never takes
        effect twice).
      </p>
      <form
        className="filters"
        aria-label="Filters"
        onSubmit={(e) => {
          e.preventDefault();
          set({ reason: reasonDraft.trim(), id: '' });
        }}
      >
        <div>
          <label htmlFor={ids.service}>Service</label>
          <select id={ids.service} value={filters.service} onChange={(e) => set({ service: e.target.value as Service, consumer: '', id: '' })}>
            {DEAD_LETTER_SERVICES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor={ids.consumer}>Consumer</label>
          <select id={ids.consumer} value={filters.consumer} onChange={(e) => set({ consumer: e.target.value, id: '' })}>
            <option value="">All consumers</option>
            {[...new Set([...consumers, ...(filters.consumer ? [filters.consumer] : [])])].map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor={ids.reason}>Reason contains</label>
          <input
            id={ids.reason}
            value={reasonDraft}
            onChange={(e) => setReasonDraft(e.target.value)}
            onBlur={() => reasonDraft.trim() !== filters.reason && set({ reason: reasonDraft.trim(), id: '' })}
            maxLength={200}
            placeholder="failed after"
          />
        </div>
        <div className="row">
          <input id={ids.unresolved} type="checkbox" checked={filters.unresolved} onChange={(e) => set({ unresolved: e.target.checked, id: '' })} />
          <label htmlFor={ids.unresolved}>Unresolved only</label>
        </div>
        <button type="button" className="secondary" onClick={() => void list.refetch()} disabled={list.isFetching}>
          Refresh
        </button>
      </form>
      <div className="grid2">
        <section aria-label="Dead letter list">
          {notOperator ? (
            <p role="alert" className="error">
              Dead letters are for operators: this project is not listed in the {filters.service} service's <code>DEAD_LETTER_OPERATORS</code>. Sign in with an operator project's
              token to see and replay them.
            </p>
          ) : list.error ? (
            <p role="alert" className="error">
              {errorMessage(list.error)}
            </p>
          ) : list.isPending ? (
            <p role="status">Loading…</p>
          ) : rows.length === 0 ? (
            <p>No dead letters match{filters.unresolved ? ' (unresolved only)' : ''}.</p>
          ) : (
            <DeadLetterTable rows={rows} selected={filters.id} onOpen={(id) => set({ id })} />
          )}
          {list.hasNextPage && (
            <button type="button" className="secondary" onClick={() => void list.fetchNextPage()} disabled={list.isFetchingNextPage}>
              Load older dead letters
            </button>
          )}
          {!notOperator && list.data && (
            <ReplayAll service={filters.service} consumer={filters.consumer} reason={filters.reason} listedUnresolved={rows.filter((r) => !resolved(r)).length} />
          )}
        </section>
        <aside className="card" aria-label="Dead letter details">
          {filters.id ? (
            <DeadLetterDetail key={`${filters.service}:${filters.id}`} service={filters.service} id={filters.id} />
          ) : (
            <p className="muted">Open a dead letter to read its payload and replay it.</p>
          )}
        </aside>
      </div>
    </>
  );
}

const resolved = (d: Pick<DeadLetterSummaryView, 'replayOutcome'>) => d.replayOutcome !== null && RESOLVED.has(d.replayOutcome);

function Outcome({ d }: { d: Pick<DeadLetterSummaryView, 'replayCount' | 'replayOutcome'> }) {
  if (d.replayCount === 0) return <span className="muted">never replayed</span>;
  return (
    <>
      {d.replayCount}× · <span className={`badge ${resolved(d) ? 'delivered' : 'failed'}`}>{d.replayOutcome}</span>
    </>
  );
}

function When({ at }: { at: string }) {
  return (
    <time dateTime={at} title={at}>
      {new Date(at).toLocaleString()}
    </time>
  );
}

function DeadLetterTable({ rows, selected, onOpen }: { rows: DeadLetterSummaryView[]; selected: string; onOpen: (id: string) => void }) {
  return (
    <table aria-label="Dead letters">
      <thead>
        <tr>
          <th scope="col">When</th>
          <th scope="col">Consumer</th>
          <th scope="col">Event</th>
          <th scope="col">Reason</th>
          <th scope="col">Replays</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((d) => (
          <tr key={d.id} aria-selected={d.id === selected} data-dead-letter-id={d.id}>
            <td>
              <a
                href={`#dead-letter-${d.id}`}
                onClick={(e) => {
                  e.preventDefault();
                  onOpen(d.id);
                }}
                aria-label={`Dead letter ${d.id}`}
              >
                <When at={d.createdAt} />
              </a>
            </td>
            <td>
              <code>{d.consumer}</code>
            </td>
            <td>
              {d.eventType ?? <span className="muted">unknown type</span>}
              <br />
              <code className="muted">{d.eventId ?? 'no event id'}</code>
            </td>
            <td className="reason" title={d.reason.length > 160 ? d.reason : undefined}>
              {clip(d.reason, 160)}
            </td>
            <td>
              <Outcome d={d} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** What a replay did, in words an operator can act on. */
export function describeOutcome(r: Pick<RedriveResultView, 'outcome' | 'reason'>): string {
  switch (r.outcome) {
    case 'handled':
      return 'handled: the consumer ran it and committed';
    case 'already-handled':
      return 'already handled: it had taken effect, nothing ran again';
    case 'dead-lettered-again':
      return `dead-lettered again: ${clip(r.reason, 240)}`;
    case 'skipped':
      return 'skipped: the consumer no longer handles this type';
    case 'not-settled':
      return 'not settled: the consumer is stopping; try again';
    case 'failed':
      return `failed: ${clip(r.reason, 240)}`;
  }
}

export function payloadPreview(d: Pick<DeadLetterView, 'payload' | 'payloadEncoding' | 'payloadTruncated' | 'payloadBytes'>): string {
  let text = d.payload;
  if (d.payloadEncoding === 'base64') text = `(binary, ${d.payloadBytes} bytes, base64)\n${d.payload}`;
  else {
    try {
      text = JSON.stringify(JSON.parse(d.payload), null, 2);
    } catch {
      // Not JSON (that may be why it was dead-lettered): shown as it came.
    }
  }
  const cut = text.length > PREVIEW_CHARS;
  return `${cut ? `${text.slice(0, PREVIEW_CHARS)}\n…` : text}${d.payloadTruncated ? '\n(stored copy truncated; a replay reads the original from its stream)' : ''}`;
}

function DeadLetterDetail({ service, id }: { service: Service; id: string }) {
  const queryClient = useQueryClient();
  const dl = useQuery({
    queryKey: ['dead-letters', service, 'one', id],
    queryFn: () => ok<DeadLetterView>(deadLetterClient(service).GET('/dead-letters/{id}', { params: { path: { id } } })),
    retry: false,
  });
  const replay = useMutation({
    mutationFn: () => ok<RedriveResultView>(deadLetterClient(service).POST('/dead-letters/{id}/replay', { params: { path: { id } } })),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['dead-letters', service] }),
  });
  if (dl.isPending) return <p role="status">Loading…</p>;
  if (dl.error)
    return (
      <p role="alert" className="error">
        {errorMessage(dl.error)}
      </p>
    );
  const d = dl.data;
  return (
    <div className="form">
      <h2>Dead letter {d.id}</h2>
      <dl className="facts">
        <dt>Consumer</dt>
        <dd>
          <code>{d.consumer}</code>
        </dd>
        <dt>Event</dt>
        <dd>
          {d.eventType ?? 'unknown type'} <code>{d.eventId ?? 'no event id'}</code>
        </dd>
        <dt>Reason</dt>
        <dd data-testid="dead-letter-reason">
          {d.reason.length > 600 ? (
            <details>
              <summary>{clip(d.reason, 600)}</summary>
              {d.reason}
            </details>
          ) : (
            d.reason
          )}
        </dd>
        <dt>Dead-lettered</dt>
        <dd>
          <When at={d.createdAt} /> after {d.deliveryCount} deliver{d.deliveryCount === 1 ? 'y' : 'ies'}
        </dd>
        <dt>Stream</dt>
        <dd>
          <code>
            {d.stream} #{d.streamSeq}
          </code>
        </dd>
        <dt>Replays</dt>
        <dd data-testid="dead-letter-replays">
          <Outcome d={d} />
          {d.replayedAt && (
            <>
              {' '}
              (last <When at={d.replayedAt} />)
            </>
          )}
        </dd>
      </dl>
      <button type="button" onClick={() => replay.mutate()} disabled={replay.isPending}>
        {replay.isPending ? 'Replaying…' : 'Replay'}
      </button>
      <div aria-live="polite">
        {replay.data && (
          <p role="status" aria-label="Replay result" className={RESOLVED.has(replay.data.outcome) ? 'ok' : 'error'}>
            Replay {describeOutcome(replay.data)}
          </p>
        )}
      </div>
      {replay.error && (
        <p role="alert" className="error">
          {errorMessage(replay.error)}
        </p>
      )}
      <h3>Payload ({d.payloadBytes} bytes)</h3>
      <pre aria-label="Payload" tabIndex={0}>
        {payloadPreview(d)}
      </pre>
    </div>
  );
}

function ReplayAll({ service, consumer, reason, listedUnresolved }: { service: Service; consumer: string; reason: string; listedUnresolved: number }) {
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const replay = useMutation({
    mutationFn: () =>
      ok<ReplayAllView>(deadLetterClient(service).POST('/dead-letters/replay', { body: { ...(consumer ? { consumer } : {}), ...(reason ? { reason } : {}), limit: 100 } })),
    onSettled: async () => {
      setConfirming(false);
      await queryClient.invalidateQueries({ queryKey: ['dead-letters', service] });
    },
  });
  const scope = `${consumer ? `consumer ${consumer}` : 'every consumer'}${reason ? `, reason containing “${reason}”` : ''}`;
  return (
    <div className="card replay-all" style={{ marginTop: '1rem' }}>
      <h2>Replay all matching</h2>
      {!confirming ? (
        <button type="button" className="secondary" onClick={() => setConfirming(true)} disabled={replay.isPending}>
          Replay all matching…
        </button>
      ) : (
        <div className="form" role="group" aria-label="Confirm replay all">
          <p>
            Replays the <strong>unresolved</strong> dead letters of {scope} in the {service} service, newest first, at most 100 ({listedUnresolved} unresolved listed here).
          </p>
          <div className="row">
            <button type="button" onClick={() => replay.mutate()} disabled={replay.isPending}>
              {replay.isPending ? 'Replaying…' : 'Confirm replay'}
            </button>
            <button type="button" className="secondary" onClick={() => setConfirming(false)} disabled={replay.isPending}>
              Cancel
            </button>
          </div>
        </div>
      )}
      <div aria-live="polite">
        {replay.data && (
          <div role="status" aria-label="Replay all result">
            <p>
              Replayed {replay.data.replayed}
              {replay.data.replayed > 0 &&
                `: ${Object.entries(replay.data.counts)
                  .map(([k, n]) => `${n} ${k}`)
                  .join(', ')}`}
              .
            </p>
            {replay.data.results.length > 0 && (
              <ul>
                {replay.data.results.slice(0, 20).map((r) => (
                  <li key={r.id}>
                    <code>{r.id}</code> {r.consumer}: {describeOutcome(r)}
                  </li>
                ))}
              </ul>
            )}
          </div>
        )}
      </div>
      {replay.error && (
        <p role="alert" className="error">
          {errorMessage(replay.error)}
        </p>
      )}
    </div>
  );
}
