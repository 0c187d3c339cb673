import { useState } from 'react';
import { ApiError } from '@stagehook/sdk';

export interface SecretRevealProps {
  /** The current secret's masked hint. */
  hint: string;
  /** The API says the current secret was revealed already. */
  revealed: boolean;
  reveal: () => Promise<string>;
}

type State = { kind: 'idle' } | { kind: 'busy' } | { kind: 'shown'; secret: string } | { kind: 'refused' } | { kind: 'error'; message: string };

/**
 * The signing secret can be read once per rotation: the API answers a second reveal with 409,
 * and this says so instead of showing an error code. The clear value lives only in this
 * component's state, never in a cache or the URL.
 */
export function SecretReveal({ hint, revealed, reveal }: SecretRevealProps) {
  const [state, setState] = useState<State>({ kind: 'idle' });

  async function onReveal() {
    setState({ kind: 'busy' });
    try {
      setState({ kind: 'shown', secret: await reveal() });
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) setState({ kind: 'refused' });
      else setState({ kind: 'error', message: err instanceof Error ? err.message : String(err) });
    }
  }

  return (
    <div className="form" aria-label="Signing secret">
      <div className="row">
        <span className="secret" aria-label="Signing secret hint">
          {state.kind === 'shown' ? state.secret : hint}
        </span>
        {state.kind !== 'shown' && (
          <button type="button" className="secondary" onClick={() => void onReveal()} disabled={state.kind === 'busy'}>
            Reveal secret
          </button>
        )}
        {state.kind === 'shown' && (
          <button type="button" className="secondary" onClick={() => setState({ kind: 'idle' })}>
            Hide
          </button>
        )}
      </div>
      {state.kind === 'shown' && (
        <p role="status" className="hint">
          Copy it now: this secret cannot be revealed again. Rotate to get a new one.
        </p>
      )}
      {state.kind === 'refused' && (
        <p role="alert" className="error">
          This secret was already revealed once and cannot be shown again. Rotate the secret to reveal a new one.
        </p>
      )}
      {state.kind === 'error' && (
        <p role="alert" className="error">
          {state.message}
        </p>
      )}
      {state.kind === 'idle' && revealed && <p className="hint">Already revealed once; a reveal will be refused until the next rotation.</p>}
    </div>
  );
}
