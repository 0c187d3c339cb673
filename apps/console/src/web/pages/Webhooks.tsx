import type { CircuitView, WebhooksComponents } from '@stagehook/sdk';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { useSearchParams } from 'wouter';
import { api, errorMessage, ok } from '../api';
import { SecretReveal } from '../components/SecretReveal';
import { TestResult, type TestPing } from '../components/TestResult';
import { useEndpoints } from '../queries';

type Endpoint = WebhooksComponents['schemas']['EndpointView'];

/** Nullable strings come out of the OpenAPI document untyped (`Record<string, never>`). */
const text = (v: unknown): string => (typeof v === 'string' ? v : '');

export default function Webhooks() {
  const endpoints = useEndpoints();
  const [params, setParams] = useSearchParams();
  const selectedId = params.get('endpoint');
  const creating = params.get('new') === '1';
  const selected = endpoints.data?.find((e) => e.id === selectedId);

  return (
    <>
      <div className="row" style={{ justifyContent: 'space-between' }}>
        <h1>Webhooks</h1>
        <button type="button" onClick={() => setParams({ new: '1' })}>
          Create new
        </button>
      </div>
      <div className="grid2">
        <section aria-label="Endpoints">
          {endpoints.isPending && <p role="status">Loading…</p>}
          {endpoints.error && <p role="alert" className="error">{errorMessage(endpoints.error)}</p>}
          {endpoints.data?.length === 0 && <p>No endpoints yet. Create one to receive item and workflow events.</p>}
          {endpoints.data && endpoints.data.length > 0 && (
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">URL</th>
                  <th scope="col">Events</th>
                  <th scope="col">Status</th>
                </tr>
              </thead>
              <tbody>
                {endpoints.data.map((e) => (
                  <tr key={e.id} aria-selected={e.id === selectedId}>
                    <td>
                      <a
                        href={`/webhooks?endpoint=${e.id}`}
                        onClick={(ev) => {
                          ev.preventDefault();
                          setParams({ endpoint: e.id });
                        }}
                      >
                        {e.name}
                      </a>
                    </td>
                    <td>
                      <code>{e.url}</code>
                    </td>
                    <td>{e.eventTypes.length > 0 ? e.eventTypes.join(', ') : <span className="muted">stage only</span>}</td>
                    <td>
                      <span className={`badge ${e.active ? 'active' : 'disabled'}`}>{e.active ? 'active' : 'disabled'}</span>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
        <aside className="card" aria-label={creating ? 'Create endpoint' : 'Endpoint details'}>
          {creating ? (
            <CreateEndpoint onCreated={(id) => setParams({ endpoint: id })} />
          ) : selected ? (
            <EndpointDetail key={selected.id} endpoint={selected} />
          ) : (
            <p className="muted">Select an endpoint, or create a new one.</p>
          )}
        </aside>
      </div>
    </>
  );
}

function CreateEndpoint({ onCreated }: { onCreated: (id: string) => void }) {
  const queryClient = useQueryClient();
  const [form, setForm] = useState({ name: '', url: '', events: 'item.status.changed', active: true, authorization: '', includeAnnotations: true});
  const id = { name: useId(), url: useId(), events: useId(), active: useId(), auth: useId(), include: useId() };
  const set = (patch: Partial<typeof form>) => setForm({ ...form, ...patch });
  const create = useMutation({
    mutationFn: async () => {
      const created = await ok(
        api.webhooks.POST('/endpoints', {
          body: {
            name: form.name,
            url: form.url,
            eventTypes: form.events
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean),
            includeAnnotations: form.includeAnnotations,
            ...(form.authorization ? { authorization: form.authorization as unknown as Record<string, never> } : {}),
          },
        }),
      );
      if (!form.active) await ok(api.webhooks.POST('/endpoints/{id}/disable', { params: { path: { id: created.id } }, body: { reason: 'created inactive' } }));
      return created;
    },
    onSuccess: async (created) => {
      await queryClient.invalidateQueries({ queryKey: ['endpoints'] });
      onCreated(created.id);
    },
  });
  return (
    <form
      className="form"
      onSubmit={(e) => {
        e.preventDefault();
        create.mutate();
      }}
    >
      <h2>Create new endpoint</h2>
      <label htmlFor={id.name}>Name</label>
      <input id={id.name} value={form.name} onChange={(e) => set({ name: e.target.value })} required maxLength={200} />
      <label htmlFor={id.url}>URL</label>
      <input id={id.url} type="url" value={form.url} onChange={(e) => set({ url: e.target.value })} required placeholder="https://hooks.example.com/stagehook" />
      <label htmlFor={id.events}>Events</label>
      <input id={id.events} value={form.events} onChange={(e) => set({ events: e.target.value })} aria-describedby={`${id.events}-hint`} />
      <p id={`${id.events}-hint`} className="hint">
        Comma-separated; wildcards like <code>item.*</code> or <code>*</code>; empty for a webhook-stage endpoint.
      </p>
      <label htmlFor={id.auth}>Authorization header</label>
      <input id={id.auth} type="password" autoComplete="off" value={form.authorization} onChange={(e) => set({ authorization: e.target.value })} placeholder="Bearer …" />
      <div className="row">
        <input id={id.include} type="checkbox" checked={form.includeAnnotations} onChange={(e) => set({ includeAnnotations: e.target.checked })} />
        <label htmlFor={id.include}>Include annotations</label>
      </div>
      <div className="row">
        <input id={id.active} type="checkbox" checked={form.active} onChange={(e) => set({ active: e.target.checked })} />
        <label htmlFor={id.active}>Active</label>
      </div>
      <button type="submit" disabled={create.isPending}>
        {create.isPending ? 'Creating…' : 'Create endpoint'}
      </button>
      {create.error && <p role="alert" className="error">{errorMessage(create.error)}</p>}
    </form>
  );
}

function EndpointDetail({ endpoint }: { endpoint: Endpoint }) {
  const queryClient = useQueryClient();
  const reasonId = useId();
  const [reason, setReason] = useState('');
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['endpoints'] });
  const circuit = useQuery({
    queryKey: ['circuits', endpoint.id],
    queryFn: () => ok<CircuitView>(api.delivery.GET('/endpoints/{id}/circuit', { params: { path: { id: endpoint.id } } })),
    retry: false,
  });
  const rotate = useMutation({ mutationFn: () => ok(api.webhooks.POST('/endpoints/{id}/secret/rotate', { params: { path: { id: endpoint.id } }, body: {} })), onSuccess: refresh });
  const disable = useMutation({
    mutationFn: () => ok(api.webhooks.POST('/endpoints/{id}/disable', { params: { path: { id: endpoint.id } }, body: { reason } })),
    onSuccess: async () => {
      setReason('');
      await refresh();
    },
  });
  const enable = useMutation({ mutationFn: () => ok(api.webhooks.POST('/endpoints/{id}/enable', { params: { path: { id: endpoint.id } } })), onSuccess: refresh });
  const test = useMutation({ mutationFn: () => ok<TestPing>(api.webhooks.POST('/endpoints/{id}/test', { params: { path: { id: endpoint.id } } })) });
  const failure = [rotate, disable, enable].find((m) => m.error)?.error;

  return (
    <div className="form">
      <h2>{endpoint.name}</h2>
      <p>
        <code>{endpoint.url}</code>
      </p>
      <p>
        <span className={`badge ${endpoint.active ? 'active' : 'disabled'}`} data-testid="endpoint-status">
          {endpoint.active ? 'active' : 'disabled'}
        </span>
        {!endpoint.active && endpoint.disabledReason && <span className="muted"> — {text(endpoint.disabledReason)}</span>}
        {circuit.data && <span className="muted"> · circuit {circuit.data.state}</span>}
      </p>
      <p className="muted">
        Authorization: {endpoint.authorization ? endpoint.authorization.hint : 'not set'} · annotations {endpoint.includeAnnotations ? 'included' : 'not included'}
      </p>
      <h3>Signing secret</h3>
      <SecretReveal
        key={endpoint.signingSecret.hint}
        hint={endpoint.signingSecret.hint}
        revealed={endpoint.signingSecret.revealed}
        reveal={async () => {
          const r = await ok(api.webhooks.POST('/endpoints/{id}/secret/reveal', { params: { path: { id: endpoint.id } } }));
          void refresh();
          return r.secret;
        }}
      />
      <div className="row">
        <button type="button" className="secondary" onClick={() => rotate.mutate()} disabled={rotate.isPending}>
          Rotate secret
        </button>
        <button type="button" onClick={() => test.mutate()} disabled={test.isPending}>
          {test.isPending ? 'Sending…' : 'Send test ping'}
        </button>
      </div>
      {rotate.isSuccess && <p role="status" className="ok">Rotated: the previous secret stays valid for its grace period.</p>}
      {endpoint.signingSecret.previousExpiresAt && <p className="hint">Previous secret valid until {new Date(text(endpoint.signingSecret.previousExpiresAt)).toLocaleString()}.</p>}
      {test.error && <p role="alert" className="error">{errorMessage(test.error)}</p>}
      {test.data && <TestResult result={test.data} />}
      <h3>Status</h3>
      {endpoint.active ? (
        <form
          className="row"
          onSubmit={(e) => {
            e.preventDefault();
            disable.mutate();
          }}
        >
          <label htmlFor={reasonId}>Reason</label>
          <input id={reasonId} value={reason} onChange={(e) => setReason(e.target.value)} required placeholder="receiver under maintenance" />
          <button type="submit" className="danger" disabled={disable.isPending}>
            Disable
          </button>
        </form>
      ) : (
        <button type="button" onClick={() => enable.mutate()} disabled={enable.isPending}>
          Enable
        </button>
      )}
      {failure && <p role="alert" className="error">{errorMessage(failure)}</p>}
    </div>
  );
}
