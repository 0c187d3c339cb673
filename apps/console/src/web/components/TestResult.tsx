export interface TestPing {
  statusCode: number | null;
  latencyMs: number;
  responseBody: string;
  error: string | null;
  webhookId: string;
}

/** What a test ping got back: passed is a 2xx, as for a real delivery. */
export function TestResult({ result }: { result: TestPing }) {
  const passed = result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
  return (
    <div role="status" aria-label="Test result" className="attempt">
      <p>
        <span className={`badge ${passed ? 'passed' : 'failed'}`}>{passed ? 'passed' : 'failed'}</span> HTTP {result.statusCode ?? '—'} in {result.latencyMs} ms
      </p>
      {result.error && <p className="error">{result.error}</p>}
      {result.responseBody && <pre aria-label="Test response body">{result.responseBody}</pre>}
    </div>
  );
}
