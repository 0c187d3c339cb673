import { useEffect, useId, useState } from 'react';
import { useLocation } from 'wouter';
import { decodeToken, setToken, takeTokenFromFragment } from '../session';

async function accepted(token: string): Promise<boolean> {
  // Any protected route answers 401 to a bad token; the endpoint list is cheap.
  const res = await fetch('/api/webhooks/endpoints?limit=1', { headers: { authorization: `Bearer ${token}` } });
  if (res.status === 401) return false;
  if (!res.ok) throw new Error(`the webhooks service answered ${res.status}`);
  return true;
}

export function SignIn({ onSignedIn, signedIn }: { onSignedIn: (token: string) => void; signedIn: boolean }) {
  const [, navigate] = useLocation();
  const [value, setValue] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const inputId = useId();

  async function signIn(token: string) {
    setError(undefined);
    const info = decodeToken(token.trim());
    if (!info) return setError('That is not a project token (three dot-separated parts).');
    if (info.expiresAt.getTime() <= Date.now()) return setError('That token has expired.');
    setBusy(true);
    try {
      if (!(await accepted(token.trim()))) return setError('The services refused that token.');
      setToken(token.trim());
      onSignedIn(token.trim());
      navigate('/', { replace: true });
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  }

  useEffect(() => {
    const fromLink = takeTokenFromFragment();
    if (fromLink) void signIn(fromLink);
    else if (signedIn) navigate('/', { replace: true });
    // Runs once, on arrival.
  }, []);

  return (
    <main id="main" className="signin">
      <h1>Sign in to Stagehook</h1>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void signIn(value);
        }}
      >
        <label htmlFor={inputId}>Project token</label>
        <input id={inputId} type="password" autoComplete="off" value={value} onChange={(e) => setValue(e.target.value)} required />
        <p className="hint">
          Mint one with <code>npm run token -- --project &lt;id&gt;</code>; it is kept in this tab only.
        </p>
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
      </form>
    </main>
  );
}
