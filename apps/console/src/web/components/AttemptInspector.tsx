import type { AttemptView } from '@stagehook/sdk';

/** One delivery's attempts, newest first: what was sent and what came back. */
export function AttemptInspector({ attempts }: { attempts: readonly AttemptView[] }) {
  if (attempts.length === 0) return <p className="muted">No attempt yet.</p>;
  const ordered = [...attempts].sort((a, b) => b.n - a.n);
  return (
    <ol reversed aria-label="Attempts" style={{ listStyle: 'none', padding: 0 }}>
      {ordered.map((a) => {
        const ok = a.statusCode !== null && a.statusCode >= 200 && a.statusCode < 300;
        return (
          <li key={a.n} className="attempt" aria-label={`Attempt ${a.n}`}>
            <h4 style={{ margin: '0 0 0.4rem' }}>
              Attempt {a.n} <span className={`badge ${ok ? 'delivered' : 'failed'}`}>{a.statusCode ?? 'no response'}</span>
            </h4>
            <dl>
              <dt>Started</dt>
              <dd>
                <time dateTime={a.startedAt} title={a.startedAt}>
                  {new Date(a.startedAt).toLocaleString()}
                </time>
              </dd>
              <dt>Duration</dt>
              <dd>{a.durationMs} ms</dd>
              <dt>Response status</dt>
              <dd>{a.statusCode ?? '—'}</dd>
              {a.error && (
                <>
                  <dt>Error</dt>
                  <dd className="error">{a.error}</dd>
                </>
              )}
              <dt>Sent by</dt>
              <dd>{a.sentBy}</dd>
            </dl>
            <details>
              <summary>Request headers</summary>
              <table aria-label={`Request headers of attempt ${a.n}`}>
                <tbody>
                  {Object.entries(a.requestHeaders).map(([k, v]) => (
                    <tr key={k}>
                      <th scope="row">{k}</th>
                      <td>
                        <code>{v}</code>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </details>
            <details open={!ok}>
              <summary>Response body</summary>
              <pre aria-label={`Response body of attempt ${a.n}`}>{a.responseBody ?? '(none)'}</pre>
            </details>
          </li>
        );
      })}
    </ol>
  );
}
