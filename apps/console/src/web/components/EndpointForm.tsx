import { type ReactNode, useId, useState } from 'react';
import {
  type EndpointFormState,
  type FieldErrors,
  ITEM_STATUSES,
  type ItemStatus,
  MAX_CUSTOM_HEADERS,
  PAYLOAD_FORMATS,
  type PayloadFormat,
  serverErrors,
  validateEndpointForm,
} from '../endpoint-form';

export interface EndpointFormProps {
  mode: 'create' | 'edit';
  initial: EndpointFormState;
  /** The authorization header's masked hint, when the endpoint has one (edit). */
  authorizationHint?: string;
  /** Sends the form; a thrown ApiError's field errors are shown on their fields. */
  submit: (form: EndpointFormState) => Promise<unknown>;
  onCancel?: () => void;
  /** The project's own event types (the registry's catalogue), offered to subscribe to. */
  customEventTypes?: readonly string[];
}

/**
 * Create and edit an endpoint: everything the registry accepts (apps/webhooks endpoint.dto.ts).
 * Checked here first, so most mistakes never make a request; what only the server can judge
 * (unknown event types, an unsafe URL) comes back as field errors and is shown on the field too.
 * Secrets are write-only: custom header values and the authorization header are typed, never read.
 */
export function EndpointForm({ mode, initial, authorizationHint, submit, onCancel, customEventTypes = [] }: EndpointFormProps) {
  const [form, setForm] = useState(initial);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [general, setGeneral] = useState<string>();
  const [busy, setBusy] = useState(false);
  const base = useId();
  const set = (patch: Partial<EndpointFormState>) => setForm((f) => ({ ...f, ...patch }));
  const setHeaders = (headers: EndpointFormState['headers']) => set({ headers, headersTouched: true });

  async function onSubmit() {
    const found = validateEndpointForm(form, mode);
    setErrors(found);
    setGeneral(undefined);
    if (Object.keys(found).length > 0) {
      setGeneral('Fix the fields marked below.');
      return;
    }
    setBusy(true);
    try {
      await submit(form);
    } catch (err) {
      const s = serverErrors(err);
      setErrors(s.fields);
      setGeneral(s.general ?? (Object.keys(s.fields).length ? 'The registry refused the fields marked below.' : undefined));
    } finally {
      setBusy(false);
    }
  }

  /** A labelled control with its hint and errors wired to it (aria-describedby, aria-invalid). */
  const field = (key: string, label: string, control: (p: { id: string; 'aria-describedby'?: string; 'aria-invalid'?: boolean }) => ReactNode, hint?: ReactNode) => {
    const id = `${base}-${key.replace(/[^A-Za-z0-9]/g, '_')}`;
    const errs = errors[key];
    const described = [hint ? `${id}-hint` : '', errs ? `${id}-err` : ''].filter(Boolean).join(' ') || undefined;
    return (
      <div className="field" key={key}>
        <label htmlFor={id}>{label}</label>
        {control({ id, 'aria-describedby': described, ...(errs ? { 'aria-invalid': true } : {}) })}
        {hint && (
          <p id={`${id}-hint`} className="hint">
            {hint}
          </p>
        )}
        {errs && (
          <p id={`${id}-err`} className="error field-error" data-field={key}>
            {errs.join('; ')}
          </p>
        )}
      </div>
    );
  };

  const statuses = (key: 'toStatuses' | 'fromStatuses', legend: string) => (
    <fieldset className="statuses" aria-describedby={errors[`filters.${key}`] ? `${base}-${key}-err` : undefined}>
      <legend>{legend}</legend>
      {ITEM_STATUSES.map((s) => {
        const id = `${base}-${key}-${s}`;
        return (
          <span key={s} className="check">
            <input
              id={id}
              type="checkbox"
              checked={form[key].includes(s)}
              onChange={(e) => set({ [key]: e.target.checked ? [...form[key], s] : form[key].filter((x: ItemStatus) => x !== s) })}
            />
            <label htmlFor={id}>{s}</label>
          </span>
        );
      })}
      {errors[`filters.${key}`] && (
        <p id={`${base}-${key}-err`} className="error field-error" data-field={`filters.${key}`}>
          {errors[`filters.${key}`]?.join('; ')}
        </p>
      )}
    </fieldset>
  );

  return (
    <form
      className="form endpoint-form"
      noValidate
      aria-label={mode === 'create' ? 'New endpoint' : 'Edit endpoint'}
      onSubmit={(e) => {
        e.preventDefault();
        void onSubmit();
      }}
    >
      <h2>{mode === 'create' ? 'Create new endpoint' : `Edit ${initial.name}`}</h2>
      {field('name', 'Name', (p) => (
        <input {...p} value={form.name} onChange={(e) => set({ name: e.target.value })} maxLength={200} />
      ))}
      {field('description', 'Description', (p) => (
        <textarea {...p} rows={2} value={form.description} onChange={(e) => set({ description: e.target.value })} maxLength={2000} />
      ))}
      {field('url', 'URL', (p) => (
        <input {...p} type="url" value={form.url} onChange={(e) => set({ url: e.target.value })} placeholder="https://hooks.example.com/stagehook" />
      ))}
      {field(
        'eventTypes',
        'Events',
        (p) => (
          <input {...p} value={form.events} onChange={(e) => set({ events: e.target.value })} />
        ),
        <>
          Comma-separated; wildcards like <code>item.*</code> or <code>*</code>; empty for a webhook-stage endpoint.
          {customEventTypes.length > 0 && (
            <span className="event-type-picks">
              {' '}
              Your project&apos;s event types:{' '}
              {customEventTypes.map((t) => (
                <button key={t} type="button" className="secondary" onClick={() => set({ events: addPattern(form.events, t) })}>
                  + {t}
                </button>
              ))}
            </span>
          )}
        </>,
      )}

      <details open={hasFilters(form) || hasFilterErrors(errors)}>
        <summary>Filters</summary>
        <p className="hint">Only matching events are sent; every filter given must hold, an empty one does not filter.</p>
        {statuses('toStatuses', 'Item status changed to')}
        {statuses('fromStatuses', 'Item status changed from')}
        {field(
          'filters.tags',
          'Item tags',
          (p) => (
            <input {...p} value={form.tags} onChange={(e) => set({ tags: e.target.value })} />
          ),
          'Comma-separated: events about items carrying one of these tags',
        )}
        {field(
          'filters.workflowIds',
          'Workflow ids',
          (p) => (
            <input {...p} value={form.workflowIds} onChange={(e) => set({ workflowIds: e.target.value })} />
          ),
          'Comma-separated',
        )}
        {field(
          'filters.datasetIds',
          'Dataset ids',
          (p) => (
            <input {...p} value={form.datasetIds} onChange={(e) => set({ datasetIds: e.target.value })} />
          ),
          'Comma-separated',
        )}
      </details>

      <fieldset>
        <legend>Custom headers</legend>
        <p className="hint" id={`${base}-headers-hint`}>
          Sent with every delivery. Values are secrets: write-only, shown redacted.
          {mode === 'edit' && initial.headers.length > 0 && ' Leave a value empty to keep the one already set.'}
        </p>
        {form.headers.map((h, i) => (
          <div className="header-row" key={i} role="group" aria-label={`Header ${i + 1}`}>
            {field(`headers[${i}].name`, 'Header name', (p) => (
              <input
                {...p}
                value={h.name}
                onChange={(e) => setHeaders(form.headers.map((x, j) => (j === i ? { ...x, name: e.target.value } : x)))}
                placeholder="X-Team"
                autoComplete="off"
              />
            ))}
            {field(`headers[${i}].value`, 'Header value', (p) => (
              <input
                {...p}
                type="password"
                value={h.value}
                onChange={(e) => setHeaders(form.headers.map((x, j) => (j === i ? { ...x, value: e.target.value } : x)))}
                placeholder={existingHint(form, h.name) ? `${existingHint(form, h.name)} (unchanged)` : ''}
                autoComplete="off"
              />
            ))}
            <button type="button" className="secondary" onClick={() => setHeaders(form.headers.filter((_, j) => j !== i))} aria-label={`Remove header ${i + 1}`}>
              Remove
            </button>
          </div>
        ))}
        {errors.headers && (
          <p className="error field-error" data-field="headers">
            {errors.headers.join('; ')}
          </p>
        )}
        <button type="button" className="secondary" onClick={() => setHeaders([...form.headers, { name: '', value: '' }])} disabled={form.headers.length >= MAX_CUSTOM_HEADERS}>
          Add header
        </button>
      </fieldset>

      {field(
        'authorization',
        mode === 'edit' ? 'New authorization header' : 'Authorization header',
        (p) => (
          <input
            {...p}
            type="password"
            autoComplete="off"
            value={form.authorization}
            onChange={(e) => set({ authorization: e.target.value, removeAuthorization: false })}
            placeholder={mode === 'edit' && authorizationHint ? `${authorizationHint} (unchanged)` : 'Bearer …'}
          />
        ),
        mode === 'edit' ? (authorizationHint ? 'Write-only: leave empty to keep the current one.' : 'Not set.') : 'Write-only: it is sealed and shown masked.',
      )}
      {mode === 'edit' && authorizationHint && (
        <div className="row">
          <input
            id={`${base}-remove-auth`}
            type="checkbox"
            checked={form.removeAuthorization}
            onChange={(e) => set({ removeAuthorization: e.target.checked, authorization: '' })}
          />
          <label htmlFor={`${base}-remove-auth`}>Remove the authorization header</label>
        </div>
      )}

      <fieldset>
        <legend>Payload and delivery</legend>
        <div className="row">
          <input id={`${base}-include`} type="checkbox" checked={form.includeAnnotations} onChange={(e) => set({ includeAnnotations: e.target.checked })} />
          <label htmlFor={`${base}-include`}>Include annotations</label>
        </div>
        {field(
          'payloadFormat',
          'Payload format',
          (p) => (
            <select {...p} value={form.payloadFormat} onChange={(e) => set({ payloadFormat: e.target.value as PayloadFormat })}>
              {PAYLOAD_FORMATS.map((f) => (
                <option key={f.value} value={f.value}>
                  {f.label}
                </option>
              ))}
            </select>
          ),
          'Every format is signed the same way (Standard Webhooks)',
        )}
        {field(
          'timeoutMs',
          'Timeout (seconds)',
          (p) => (
            <input {...p} type="number" min={1} max={60} step="any" value={form.timeoutSeconds} onChange={(e) => set({ timeoutSeconds: e.target.value })} />
          ),
          '1 to 60',
        )}
        <div className="row">
          <input id={`${base}-retry`} type="checkbox" checked={form.customRetry} onChange={(e) => set({ customRetry: e.target.checked })} />
          <label htmlFor={`${base}-retry`}>Own retry schedule</label>
        </div>
        {form.customRetry && (
          <>
            {field(
              'retryPolicy.maxAttempts',
              'Attempts',
              (p) => (
                <input {...p} type="number" min={1} max={20} value={form.maxAttempts} onChange={(e) => set({ maxAttempts: e.target.value })} />
              ),
              '1 to 20, the first included',
            )}
            {field(
              'retryPolicy.backoffSeconds',
              'Delays between attempts (seconds)',
              (p) => (
                <input {...p} value={form.backoffSeconds} onChange={(e) => set({ backoffSeconds: e.target.value })} placeholder="5, 30, 300" />
              ),
              'Comma-separated; the last repeats; empty for the default schedule',
            )}
          </>
        )}
        {errors.retryPolicy && (
          <p className="error field-error" data-field="retryPolicy">
            {errors.retryPolicy.join('; ')}
          </p>
        )}
        {mode === 'create' && (
          <div className="row">
            <input id={`${base}-active`} type="checkbox" checked={form.active} onChange={(e) => set({ active: e.target.checked })} />
            <label htmlFor={`${base}-active`}>Active</label>
          </div>
        )}
      </fieldset>

      <div className="row">
        <button type="submit" disabled={busy}>
          {busy ? 'Saving…' : mode === 'create' ? 'Create endpoint' : 'Save changes'}
        </button>
        {onCancel && (
          <button type="button" className="secondary" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
      {general && (
        <p role="alert" className="error">
          {general}
        </p>
      )}
    </form>
  );
}

const existingHint = (f: EndpointFormState, name: string): string | undefined => f.existingHeaders[name.trim().toLowerCase()];
const hasFilters = (f: EndpointFormState) => f.toStatuses.length + f.fromStatuses.length > 0 || Boolean(f.tags || f.workflowIds || f.datasetIds);
const hasFilterErrors = (e: FieldErrors) => Object.keys(e).some((k) => k.startsWith('filters'));

/** Adds an event pattern to the comma-separated list unless it is there already. */
function addPattern(events: string, pattern: string): string {
  const list = events
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  return list.includes(pattern) ? events : [...list, pattern].join(', ');
}
