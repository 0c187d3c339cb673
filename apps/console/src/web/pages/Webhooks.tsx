import type { CircuitView, WebhooksComponents } from '@stagehook/sdk';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { useSearchParams } from 'wouter';
import { api, errorMessage, ok } from '../api';
import { EndpointForm } from '../components/EndpointForm';
import { SecretReveal } from '../components/SecretReveal';
import { customHeaders, emptyForm, formFrom, toCreateBody, toUpdateBody } from '../endpoint-form';
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
  const editing = params.get('edit') === '1';
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
          {endpoints.error && (
            <p role="alert" className="error">
              {errorMessage(endpoints.error)}
            </p>
          )}
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
        <aside className="card" aria-label={creating ? 'Create endpoint' : editing && selected ? 'Edit endpoint' : 'Endpoint details'}>
          {creating ? (
            <CreateEndpoint onCreated={(id) => setParams({ endpoint: id })} />
          ) : selected && editing ? (
            <EditEndpoint key={selected.id} endpoint={selected} onDone={() => setParams({ endpoint: selected.id })} />
          ) : selected ? (
            <EndpointDetail key={selected.id} endpoint={selected} onEdit={() => setParams({ endpoint: selected.id, edit: '1' })} />
          ) : (
            <p className="muted">Select an endpoint, or create a new one.</p>
          )}
        </aside>
      </div>
    </>
  );
}

/** The project's own event types that can be subscribed to (not built in, not deprecated). */
function useCustomEventTypes(): string[] {
  const { data } = useQuery({ queryKey: ['event-types'], queryFn: async () => ok(api.webhooks.GET('/event-types')) });
  return (data?.data ?? []).filter((t) => !t.builtIn && !t.deprecated).map((t) => t.name);
}

function CreateEndpoint({ onCreated }: { onCreated: (id: string) => void }) {
  const queryClient = useQueryClient();
  const customEventTypes = useCustomEventTypes();
  return (
    <EndpointForm
      mode="create"
      initial={emptyForm()}
      customEventTypes={customEventTypes}
      submit={async (form) => {
        const created = await ok(api.webhooks.POST('/endpoints', { body: toCreateBody(form) }));
        if (!form.active) await ok(api.webhooks.POST('/endpoints/{id}/disable', { params: { path: { id: created.id } }, body: { reason: 'created inactive' } }));
        await queryClient.invalidateQueries({ queryKey: ['endpoints'] });
        onCreated(created.id);
      }}
    />
  );
}

function EditEndpoint({ endpoint, onDone }: { endpoint: Endpoint; onDone: () => void }) {
  const queryClient = useQueryClient();
  const customEventTypes = useCustomEventTypes();
  return (
    <EndpointForm
      mode="edit"
      initial={formFrom(endpoint)}
      customEventTypes={customEventTypes}
      authorizationHint={endpoint.authorization?.hint}
      onCancel={onDone}
      submit={async (form) => {
        await ok(api.webhooks.PATCH('/endpoints/{id}', { params: { path: { id: endpoint.id } }, body: toUpdateBody(form) }));
        await queryClient.invalidateQueries({ queryKey: ['endpoints'] });
        onDone();
      }}
    />
  );
}

/** What the endpoint receives and how, as set; header values are never shown. */
function EndpointSettings({ endpoint }: { endpoint: Endpoint }) {
  const f = endpoint.filters as { toStatuses?: string[]; fromStatuses?: string[]; tags?: string[]; workflowIds?: string[]; datasetIds?: string[] };
  const retry = endpoint.retryPolicy as { maxAttempts: number; backoffSeconds?: number[] } | null;
  const filters = [
    f.toStatuses?.length ? `status to ${f.toStatuses.join(' or ')}` : '',
    f.fromStatuses?.length ? `status from ${f.fromStatuses.join(' or ')}` : '',
    f.tags?.length ? `tagged ${f.tags.join(' or ')}` : '',
    f.workflowIds?.length ? `workflows ${f.workflowIds.join(', ')}` : '',
    f.datasetIds?.length ? `datasets ${f.datasetIds.join(', ')}` : '',
  ].filter(Boolean);
  const headers = customHeaders(endpoint);
  return (
    <dl className="facts" aria-label="Endpoint settings">
      <dt>Events</dt>
      <dd>{endpoint.eventTypes.length ? endpoint.eventTypes.join(', ') : 'stage only'}</dd>
      <dt>Filters</dt>
      <dd data-testid="endpoint-filters">{filters.length ? filters.join('; ') : 'none'}</dd>
      <dt>Custom headers</dt>
      <dd data-testid="endpoint-headers">
        {headers.length
          ? headers.map((h) => (
              <div key={h.name}>
                <code>{h.name}</code>: <span title="Write-only: only a masked hint is shown">{h.hint}</span>
              </div>
            ))
          : 'none'}
      </dd>
      <dt>Authorization</dt>
      <dd>{endpoint.authorization ? endpoint.authorization.hint : 'not set'}</dd>
      <dt>Payload</dt>
      <dd>annotations {endpoint.includeAnnotations ? 'included' : 'not included'}</dd>
      <dd>payload format {endpoint.payloadFormat}</dd>
      <dt>Timeout</dt>
      <dd>{endpoint.timeoutMs / 1000} s</dd>
      <dt>Retries</dt>
      <dd>{retry ? `${retry.maxAttempts} attempts${retry.backoffSeconds?.length ? `, delays ${retry.backoffSeconds.join(', ')} s` : ''}` : 'default schedule'}</dd>
    </dl>
  );
}

function EndpointDetail({ endpoint, onEdit }: { endpoint: Endpoint; onEdit: () => void }) {
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
        {!endpoint.active && endpoint.disabledReason && (
          <span className="muted" data-testid="endpoint-disabled-reason">
            {' '}
            — {text(endpoint.disabledReason)}
            {text(endpoint.disabledBy) && ` (by ${text(endpoint.disabledBy)})`}
          </span>
        )}
        {circuit.data && <span className="muted"> · circuit {circuit.data.state}</span>}
      </p>
      {endpoint.description && <p>{endpoint.description}</p>}
      <EndpointSettings endpoint={endpoint} />
      <div className="row">
        <button type="button" className="secondary" onClick={onEdit}>
          Edit settings
        </button>
      </div>
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
      {rotate.isSuccess && (
        <p role="status" className="ok">
          Rotated: the previous secret stays valid for its grace period.
        </p>
      )}
      {endpoint.signingSecret.previousExpiresAt && <p className="hint">Previous secret valid until {new Date(text(endpoint.signingSecret.previousExpiresAt)).toLocaleString()}.</p>}
      {test.error && (
        <p role="alert" className="error">
          {errorMessage(test.error)}
        </p>
      )}
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
      {failure && (
        <p role="alert" className="error">
          {errorMessage(failure)}
        </p>
      )}
    </div>
  );
}
