import type { StageView } from '@stagehook/sdk';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { api, errorMessage, ok } from '../api';
import { useEndpoints } from '../queries';
import { TestResult, type TestPing } from './TestResult';

/**
 * V7's webhook stage panel. The stage names an endpoint of the registry; URL and authorization
 * are the endpoint's (saved to it), include-annotations and attempts are the stage's (saved
 * with the workflow). The authorization header is write-only: the field starts empty and only
 * what is typed is sent.
 */
export function WebhookStagePanel({ stage, onChange }: { stage: StageView; onChange: (s: StageView) => void }) {
  const endpoints = useEndpoints();
  const queryClient = useQueryClient();
  const endpointId = stage.webhook?.endpointId ?? '';
  const endpoint = endpoints.data?.find((e) => e.id === endpointId);
  const [url, setUrl] = useState<string>();
  const [authorization, setAuthorization] = useState('');
  const ids = { endpoint: useId(), url: useId(), auth: useId(), include: useId(), attempts: useId() };
  const webhook = stage.webhook ?? { endpointId: '' };

  const saveEndpoint = useMutation({
    mutationFn: () =>
      ok(
        api.webhooks.PATCH('/endpoints/{id}', {
          params: { path: { id: endpointId } },
          body: {
            ...(url !== undefined ? { url } : {}),
            ...(authorization ? { authorization } : {}),
          },
        }),
      ),
    onSuccess: async () => {
      setAuthorization('');
      setUrl(undefined);
      await queryClient.invalidateQueries({ queryKey: ['endpoints'] });
    },
  });

  const test = useMutation({
    mutationFn: () => ok<TestPing>(api.webhooks.POST('/endpoints/{id}/test', { params: { path: { id: endpointId } } })),
  });

  return (
    <section aria-label="Webhook settings" className="form">
      <label htmlFor={ids.endpoint}>Endpoint</label>
      <select id={ids.endpoint} value={endpointId} onChange={(e) => onChange({ ...stage, webhook: { ...webhook, endpointId: e.target.value } })}>
        <option value="">Choose an endpoint…</option>
        {endpoints.data?.map((ep) => (
          <option key={ep.id} value={ep.id}>
            {ep.name}
          </option>
        ))}
      </select>
      {endpoint && (
        <>
          <label htmlFor={ids.url}>URL</label>
          <input id={ids.url} type="url" value={url ?? endpoint.url} onChange={(e) => setUrl(e.target.value)} required />
          <label htmlFor={ids.auth}>Authorization header</label>
          <input
            id={ids.auth}
            type="password"
            autoComplete="off"
            value={authorization}
            onChange={(e) => setAuthorization(e.target.value)}
            placeholder={endpoint.authorization ? `set (${endpoint.authorization.hint}); type to replace` : 'not set'}
            aria-describedby={`${ids.auth}-hint`}
          />
          <p id={`${ids.auth}-hint`} className="hint">
            Write-only: sent as <code>Authorization</code>, never shown again.
          </p>
          <div className="row">
            <button type="button" className="secondary" onClick={() => saveEndpoint.mutate()} disabled={saveEndpoint.isPending || (url === undefined && !authorization)}>
              Save endpoint
            </button>
            <button type="button" onClick={() => test.mutate()} disabled={test.isPending}>
              {test.isPending ? 'Testing…' : 'Test'}
            </button>
          </div>
          {saveEndpoint.isSuccess && (
            <p role="status" className="ok">
              Endpoint saved.
            </p>
          )}
          {saveEndpoint.error && (
            <p role="alert" className="error">
              {errorMessage(saveEndpoint.error)}
            </p>
          )}
          {test.error && (
            <p role="alert" className="error">
              {errorMessage(test.error)}
            </p>
          )}
          {test.data && <TestResult result={test.data} />}
        </>
      )}
      <div className="row">
        <input
          id={ids.include}
          type="checkbox"
          checked={webhook.includeAnnotations ?? endpoint?.includeAnnotations ?? true}
          onChange={(e) => onChange({ ...stage, webhook: { ...webhook, includeAnnotations: e.target.checked } })}
        />
        <label htmlFor={ids.include}>Include annotations (Darwin JSON 2.0)</label>
      </div>
      <label htmlFor={ids.attempts}>Attempts before “failed”</label>
      <input
        id={ids.attempts}
        type="number"
        min={1}
        max={20}
        value={webhook.maxAttempts ?? 5}
        onChange={(e) => onChange({ ...stage, webhook: { ...webhook, maxAttempts: Number(e.target.value) } })}
      />
    </section>
  );
}
