import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { validateEventData } from '../src/validate.js';

const sealed = { kid: 'k1', iv: 'AAAAAAAAAAAAAAAA', tag: 'AAAAAAAAAAAAAAAAAAAAAA==', ct: 'c2VhbGVk' };
const registered = {
  endpointId: 'ep-1',
  projectId: 'p-1',
  name: 'hook',
  url: 'https://hooks.example.com/',
  eventTypes: ['item.*'],
  filters: { toStatuses: ['done'], tags: ['cat'] },
  includeAnnotations: true,
  timeoutMs: 15000,
  retryPolicy: { maxAttempts: 5, backoffSeconds: [5, 300] },
  headers: [{ name: 'X-Team', value: 'ml' }],
  active: true,
  disabledReason: null,
  authorization: sealed,
  signingSecrets: { current: sealed, previous: { secret: sealed, expiresAt: '2026-03-02T12:00:00.000Z' } },
  at: '2026-03-01T12:00:00.000Z',
};

describe('webhook endpoint events', () => {
  it('accept the full endpoint state with sealed secrets', () => {
    expect(validateEventData('webhook.endpoint.registered', registered)).toMatchObject({ ok: true });
    expect(
      validateEventData('webhook.endpoint.updated', { ...registered, authorization: null, retryPolicy: null, signingSecrets: { current: sealed, previous: null } }),
    ).toMatchObject({
      ok: true,
    });
    expect(
      validateEventData('webhook.endpoint.secret.rotated', { endpointId: 'ep-1', projectId: 'p-1', signingSecrets: registered.signingSecrets, at: registered.at }),
    ).toMatchObject({ ok: true });
    expect(validateEventData('webhook.endpoint.disabled', { endpointId: 'ep-1', projectId: 'p-1', reason: 'gone', at: registered.at })).toMatchObject({ ok: true });
  });

  it('refuse a secret in clear where a sealed one belongs', () => {
    const r = validateEventData('webhook.endpoint.registered', { ...registered, authorization: 'Bearer plain' });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toContain('authorization');
    const s = validateEventData('webhook.endpoint.secret.rotated', {
      endpointId: 'ep-1',
      projectId: 'p-1',
      signingSecrets: { current: 'whsec_plain', previous: null },
      at: registered.at,
    });
    expect(!s.ok && s.reason).toContain('signingSecrets.current');
  });

  it('refuse header injection and too many headers', () => {
    expect(validateEventData('webhook.endpoint.registered', { ...registered, headers: [{ name: 'X-A', value: 'a\r\nB: c' }] }).ok).toBe(false);
    const many = Array.from({ length: 11 }, (_, i) => ({ name: `X-${i}`, value: 'v' }));
    expect(validateEventData('webhook.endpoint.registered', { ...registered, headers: many }).ok).toBe(false);
  });
});
