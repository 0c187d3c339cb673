import type { WorkflowView } from '@stagehook/sdk';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { Link, useLocation } from 'wouter';
import { api, errorMessage, ok } from '../api';
import { useEndpoints, useWorkflows } from '../queries';

export default function Workflows() {
  const workflows = useWorkflows();
  return (
    <>
      <h1>Workflows</h1>
      <div className="grid2">
        <section aria-labelledby="wf-list">
          <h2 id="wf-list">All workflows</h2>
          {workflows.isPending && <p role="status">Loading…</p>}
          {workflows.error && (
            <p role="alert" className="error">
              {errorMessage(workflows.error)}
            </p>
          )}
          {workflows.data && workflows.data.length === 0 && <p>No workflows yet: create one from the template.</p>}
          {workflows.data && workflows.data.length > 0 && (
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Stages</th>
                  <th scope="col">Version</th>
                  <th scope="col">Created</th>
                </tr>
              </thead>
              <tbody>
                {workflows.data.map((w) => (
                  <tr key={w.workflowId}>
                    <td>
                      <Link href={`/workflows/${w.workflowId}`}>{w.name}</Link>
                    </td>
                    <td>{w.stages.map((s) => s.name).join(' → ')}</td>
                    <td>{w.version}</td>
                    <td>
                      <time dateTime={w.createdAt}>{new Date(w.createdAt).toLocaleString()}</time>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
        <CreateFromTemplate />
      </div>
    </>
  );
}

function CreateFromTemplate() {
  const endpoints = useEndpoints();
  const queryClient = useQueryClient();
  const [, navigate] = useLocation();
  const [name, setName] = useState('Annotate → webhook → review');
  const [endpointId, setEndpointId] = useState('');
  const [newUrl, setNewUrl] = useState('');
  const ids = { name: useId(), endpoint: useId(), url: useId() };

  const create = useMutation({
    mutationFn: async () => {
      let id = endpointId;
      if (!id) {
        const created = await ok(api.webhooks.POST('/endpoints', { body: { name: `${name} webhook stage`, url: newUrl, includeAnnotations: true } }));
        id = created.id;
      }
      return ok<WorkflowView>(api.workflow.POST('/workflows/template', { body: { name, endpointId: id } }));
    },
    onSuccess: async (w) => {
      await queryClient.invalidateQueries({ queryKey: ['workflows'] });
      await queryClient.invalidateQueries({ queryKey: ['endpoints'] });
      navigate(`/workflows/${w.workflowId}`);
    },
  });

  return (
    <section aria-labelledby="wf-create" className="card">
      <h2 id="wf-create">Create from the template</h2>
      <p className="hint">Dataset → Annotate → Webhook → Review → Complete; the webhook's failed output and review's reject are wired too.</p>
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate();
        }}
      >
        <label htmlFor={ids.name}>Workflow name</label>
        <input id={ids.name} value={name} onChange={(e) => setName(e.target.value)} required maxLength={200} />
        <label htmlFor={ids.endpoint}>Webhook stage endpoint</label>
        <select id={ids.endpoint} value={endpointId} onChange={(e) => setEndpointId(e.target.value)}>
          <option value="">New endpoint…</option>
          {endpoints.data?.map((ep) => (
            <option key={ep.id} value={ep.id}>
              {ep.name} — {ep.url}
            </option>
          ))}
        </select>
        {!endpointId && (
          <>
            <label htmlFor={ids.url}>New endpoint URL</label>
            <input id={ids.url} type="url" value={newUrl} onChange={(e) => setNewUrl(e.target.value)} placeholder="https://hooks.example.com/stage" required />
          </>
        )}
        <button type="submit" disabled={create.isPending}>
          {create.isPending ? 'Creating…' : 'Create workflow'}
        </button>
        {create.error && (
          <p role="alert" className="error">
            {errorMessage(create.error)}
          </p>
        )}
      </form>
    </section>
  );
}
