import { describe, expect, it } from '@jest/globals';
import { cloudEventJson, isValidTraceparent, newEvent, parseEvent, toCloudEvent, traceContextOf, withValidTraceContext } from '../src/index.js';

// The W3C spec's own example values.
const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const TRACESTATE = 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7';

const stored = (metadata: Record<string, unknown>) => ({
  ...newEvent(
    'workflow.stage.entered',
    {
      workflowId: 'wf-1',
      workflowVersion: 1,
      stageId: 'st-webhook',
      stageType: 'webhook',
      stageName: 'Send to receiver',
      itemId: 'item-1',
      visitId: 'visit-1',
      itemVersion: 3,
      projectId: 'proj-1',
      enteredAt: new Date().toISOString(),
      webhook: { endpointId: 'ep-1', maxAttempts: 5 },
    },
    { source: 'workflow', projectId: 'proj-1', ...metadata },
  ),
  streamId: 'item-1',
  createdAt: new Date(),
});

describe('isValidTraceparent', () => {
  it.each([
    ['the spec example', TRACEPARENT, true],
    ['an unsampled context', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00', true],
    ['an all-zero trace id', `00-${'0'.repeat(32)}-b7ad6b7169203331-01`, false],
    ['an all-zero parent id', `00-0af7651916cd43dd8448eb211c80319c-${'0'.repeat(16)}-01`, false],
    ['upper-case hex', '00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01', false],
    ['a short trace id', '00-0af7651916cd43dd8448eb211c8031-b7ad6b7169203331-01', false],
    ['another version', '01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', false],
    ['trailing data', `${TRACEPARENT}-extra`, false],
    ['a number', 42, false],
  ])('%s: %s', (_name, value, valid) => {
    expect(isValidTraceparent(value)).toBe(valid);
  });
});

describe('traceContextOf', () => {
  it('keeps tracestate only alongside a valid traceparent', () => {
    expect(traceContextOf({ traceparent: TRACEPARENT, tracestate: TRACESTATE })).toEqual({ traceparent: TRACEPARENT, tracestate: TRACESTATE });
    expect(traceContextOf({ traceparent: 'garbage', tracestate: TRACESTATE })).toBeUndefined();
    expect(traceContextOf({ tracestate: TRACESTATE })).toBeUndefined();
  });

  it('drops a tracestate that is too long or not printable', () => {
    expect(traceContextOf({ traceparent: TRACEPARENT, tracestate: 'a='.padEnd(600, 'x') })).toEqual({ traceparent: TRACEPARENT });
    expect(traceContextOf({ traceparent: TRACEPARENT, tracestate: 'a=b\nc' })).toEqual({ traceparent: TRACEPARENT });
  });
});

describe('the tracing extension in the envelope', () => {
  it('toCloudEvent publishes the trace context recorded in the metadata', () => {
    const e = toCloudEvent(stored({ traceparent: TRACEPARENT, tracestate: TRACESTATE }));
    expect(e).toMatchObject({ traceparent: TRACEPARENT, tracestate: TRACESTATE });
  });

  it('toCloudEvent leaves out a malformed or absent context', () => {
    expect(toCloudEvent(stored({ traceparent: 'not-a-traceparent' }))).not.toHaveProperty('traceparent');
    expect(toCloudEvent(stored({}))).not.toHaveProperty('traceparent');
  });

  it('cloudEventJson splices stored JSON text into the same envelope toCloudEvent builds', () => {
    const e = stored({ traceparent: TRACEPARENT, correlationId: 'c-1' });
    // PostgreSQL's jsonb::text spaces its output; any one JSON value is spliced as it is.
    const dataText = JSON.stringify(e.data, null, 1);
    const json = cloudEventJson(e, dataText);
    expect(JSON.parse(json)).toEqual(toCloudEvent(e));
    expect(parseEvent(json)).toMatchObject({ ok: true });
  });

  it('parseEvent keeps a valid traceparent and tracestate', () => {
    const r = parseEvent(JSON.stringify(toCloudEvent(stored({ traceparent: TRACEPARENT, tracestate: TRACESTATE }))));
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.value).toMatchObject({ traceparent: TRACEPARENT, tracestate: TRACESTATE });
  });

  it.each([
    ['a malformed string', 'garbage'],
    ['a number', 7],
    ['an object', { a: 1 }],
  ])('parseEvent accepts the event and ignores a traceparent that is %s', (_name, traceparent) => {
    const body = { ...toCloudEvent(stored({})), traceparent, tracestate: TRACESTATE };
    const r = parseEvent(JSON.stringify(body));
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.value).not.toHaveProperty('traceparent');
      expect(r.value).not.toHaveProperty('tracestate');
    }
  });

  it('withValidTraceContext returns an envelope without tracing attributes unchanged', () => {
    const e = toCloudEvent(stored({}));
    expect(withValidTraceContext(e)).toBe(e);
  });
});
