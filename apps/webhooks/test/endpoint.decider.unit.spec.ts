import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { matchesSubscription, type SealedSecretData } from '@stagehook/contracts';
import { fold, given } from '@stagehook/event-store';
import { ConflictError, NotFoundError } from '@stagehook/platform';
import { endpointDecider, liveSigningSecrets, type EndpointEvent, type EndpointSettings } from '../src/domain/endpoint.decider.js';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const later = (s: number) => new Date(NOW.getTime() + s * 1000);
const sealed = (n: string): SealedSecretData => ({ kid: 'k1', iv: `iv${n}AAAAAAAAAAAA`, tag: `tag${n}AAAAAAAAAAAAAAAAAAA`, ct: `ct${n}AAA` });

const settings: EndpointSettings = {
  name: 'Review hook',
  description: 'sends reviews',
  url: 'https://hooks.example.com/in',
  eventTypes: ['item.status.changed'],
  filters: { toStatuses: ['done'] },
  includeAnnotations: true,
  timeoutMs: 15_000,
  retryPolicy: null,
  headers: [{ name: 'X-Team', value: 'ml' }],
};

const registered: EndpointEvent = {
  type: 'webhook.endpoint.registered',
  data: {
    endpointId: 'ep1',
    projectId: 'p1',
    ...settings,
    active: true,
    disabledReason: null,
    disabledBy: null,
    authorization: sealed('auth'),
    signingSecrets: { current: sealed('s1'), previous: null },
    at: NOW.toISOString(),
  },
};

describe('endpoint decider', () => {
  it('registers an active endpoint with its sealed secrets', () => {
    given(endpointDecider)
      .when({ type: 'RegisterEndpoint', endpointId: 'ep1', projectId: 'p1', settings, authorization: sealed('auth'), signingSecret: sealed('s1'), now: NOW })
      .then([registered]);
  });

  it('refuses to register the same id twice', () => {
    given(endpointDecider, [registered])
      .when({ type: 'RegisterEndpoint', endpointId: 'ep1', projectId: 'p1', settings, authorization: null, signingSecret: sealed('s2'), now: NOW })
      .thenThrows(ConflictError);
  });

  it('hides an endpoint from other projects as not found', () => {
    given(endpointDecider, [registered]).when({ type: 'EnableEndpoint', projectId: 'p2', by: 'user:u1', now: NOW }).thenThrows(NotFoundError);
    given(endpointDecider, [registered]).when({ type: 'DeleteEndpoint', projectId: 'p2', now: NOW }).thenThrows(NotFoundError);
  });

  it('rotation makes the new secret current and keeps the old one for the grace period', () => {
    given(endpointDecider, [registered])
      .when({ type: 'RotateSecret', projectId: 'p1', newSecret: sealed('s2'), graceSeconds: 86_400, now: NOW })
      .then([
        {
          type: 'webhook.endpoint.secret.rotated',
          data: {
            endpointId: 'ep1',
            projectId: 'p1',
            signingSecrets: { current: sealed('s2'), previous: { secret: sealed('s1'), expiresAt: '2026-03-02T12:00:00.000Z' } },
            at: NOW.toISOString(),
          },
        },
      ]);
  });

  it('reveals the current secret once; a rotation makes the new one revealable', () => {
    const revealed: EndpointEvent = { type: 'webhook.endpoint.secret.revealed', data: { endpointId: 'ep1', projectId: 'p1', at: NOW.toISOString() } };
    given(endpointDecider, [registered]).when({ type: 'RevealSecret', projectId: 'p1', now: NOW }).then([revealed]);
    given(endpointDecider, [registered, revealed])
      .when({ type: 'RevealSecret', projectId: 'p1', now: later(1) })
      .thenThrows(ConflictError);
    given(endpointDecider, [registered]).when({ type: 'RevealSecret', projectId: 'p2', now: NOW }).thenThrows(NotFoundError);
    const rotated = endpointDecider.decide(
      { type: 'RotateSecret', projectId: 'p1', newSecret: sealed('s2'), graceSeconds: 60, now: later(2) },
      fold(endpointDecider, [registered, revealed]),
    );
    given(endpointDecider, [registered, revealed, ...rotated])
      .when({ type: 'RevealSecret', projectId: 'p1', now: later(3) })
      .then([{ type: 'webhook.endpoint.secret.revealed', data: { endpointId: 'ep1', projectId: 'p1', at: later(3).toISOString() } }]);
  });

  it('rotation with no grace revokes the old secret at once', () => {
    const [e] = endpointDecider.decide({ type: 'RotateSecret', projectId: 'p1', newSecret: sealed('s2'), graceSeconds: 0, now: NOW }, fold(endpointDecider, [registered]));
    expect(e.type === 'webhook.endpoint.secret.rotated' && e.data.signingSecrets.previous).toBeNull();
  });

  it('a second rotation within the grace retires the first secret', () => {
    const first = endpointDecider.decide({ type: 'RotateSecret', projectId: 'p1', newSecret: sealed('s2'), graceSeconds: 3600, now: NOW }, fold(endpointDecider, [registered]));
    const [second] = endpointDecider.decide(
      { type: 'RotateSecret', projectId: 'p1', newSecret: sealed('s3'), graceSeconds: 3600, now: later(60) },
      fold(endpointDecider, [registered, ...first]),
    );
    expect(second.type === 'webhook.endpoint.secret.rotated' && second.data.signingSecrets).toEqual({
      current: sealed('s3'),
      previous: { secret: sealed('s2'), expiresAt: later(3660).toISOString() },
    });
  });

  it('drops the previous secret once its grace has passed', () => {
    const set = { current: sealed('s2'), previous: { secret: sealed('s1'), expiresAt: later(3600).toISOString() } };
    expect(liveSigningSecrets(set, later(3599))).toBe(set);
    expect(liveSigningSecrets(set, later(3600))).toEqual({ current: sealed('s2'), previous: null });
  });

  it('an update after the grace publishes the set without the expired secret', () => {
    const rotated: EndpointEvent = {
      type: 'webhook.endpoint.secret.rotated',
      data: {
        endpointId: 'ep1',
        projectId: 'p1',
        signingSecrets: { current: sealed('s2'), previous: { secret: sealed('s1'), expiresAt: later(60).toISOString() } },
        at: NOW.toISOString(),
      },
    };
    const [e] = endpointDecider.decide({ type: 'UpdateEndpoint', projectId: 'p1', changes: { name: 'renamed' }, now: later(120) }, fold(endpointDecider, [registered, rotated]));
    expect(e.type === 'webhook.endpoint.updated' && e.data.signingSecrets).toEqual({ current: sealed('s2'), previous: null });
  });

  it('disables with a reason and who did it, and enables again', () => {
    const disabled: EndpointEvent = {
      type: 'webhook.endpoint.disabled',
      data: { endpointId: 'ep1', projectId: 'p1', reason: 'maintenance', by: 'user:ana', at: NOW.toISOString() },
    };
    given(endpointDecider, [registered]).when({ type: 'DisableEndpoint', projectId: 'p1', reason: 'maintenance', by: 'user:ana', now: NOW }).then([disabled]);
    given(endpointDecider, [registered, disabled])
      .when({ type: 'EnableEndpoint', projectId: 'p1', by: 'user:bo', now: later(5) })
      .then([{ type: 'webhook.endpoint.enabled', data: { endpointId: 'ep1', projectId: 'p1', by: 'user:bo', at: later(5).toISOString() } }]);
    const state = fold(endpointDecider, [registered, disabled]);
    expect(state.status === 'live' && [state.endpoint.active, state.endpoint.disabledReason, state.endpoint.disabledBy]).toEqual([false, 'maintenance', 'user:ana']);
    const enabled = fold(endpointDecider, [
      registered,
      disabled,
      { type: 'webhook.endpoint.enabled', data: { endpointId: 'ep1', projectId: 'p1', by: 'user:bo', at: later(5).toISOString() } },
    ]);
    expect(enabled.status === 'live' && [enabled.endpoint.active, enabled.endpoint.disabledReason, enabled.endpoint.disabledBy]).toEqual([true, null, null]);
  });

  it('mirrors delivery disabling an endpoint on its own, over a disable by a user', () => {
    const byUser: EndpointEvent = { type: 'webhook.endpoint.disabled', data: { endpointId: 'ep1', projectId: 'p1', reason: 'maintenance', by: 'user:ana', at: NOW.toISOString() } };
    given(endpointDecider, [registered, byUser])
      .when({ type: 'DisableEndpoint', projectId: 'p1', reason: 'the endpoint answered 410 Gone', by: 'service:delivery', now: later(1) })
      .then([
        {
          type: 'webhook.endpoint.disabled',
          data: { endpointId: 'ep1', projectId: 'p1', reason: 'the endpoint answered 410 Gone', by: 'service:delivery', at: later(1).toISOString() },
        },
      ]);
  });

  it('treats a repeated disable or enable as done', () => {
    const disabled: EndpointEvent = { type: 'webhook.endpoint.disabled', data: { endpointId: 'ep1', projectId: 'p1', reason: 'x', by: 'user:ana', at: NOW.toISOString() } };
    given(endpointDecider, [registered, disabled]).when({ type: 'DisableEndpoint', projectId: 'p1', reason: 'x', by: 'service:delivery', now: NOW }).then([]);
    given(endpointDecider, [registered]).when({ type: 'EnableEndpoint', projectId: 'p1', by: 'user:ana', now: NOW }).then([]);
  });

  it('folds disable events written before `by` was recorded', () => {
    const old: EndpointEvent = { type: 'webhook.endpoint.disabled', data: { endpointId: 'ep1', projectId: 'p1', reason: 'x', at: NOW.toISOString() } };
    const state = fold(endpointDecider, [registered, old]);
    expect(state.status === 'live' && [state.endpoint.active, state.endpoint.disabledBy]).toEqual([false, null]);
  });

  it('updates carry the full state and keep the authorization unless told', () => {
    const [e] = endpointDecider.decide(
      { type: 'UpdateEndpoint', projectId: 'p1', changes: { url: 'https://other.example.com/' }, now: later(1) },
      fold(endpointDecider, [registered]),
    );
    expect(e).toEqual({ type: 'webhook.endpoint.updated', data: { ...registered.data, url: 'https://other.example.com/', at: later(1).toISOString() } });
    const [removed] = endpointDecider.decide({ type: 'UpdateEndpoint', projectId: 'p1', changes: {}, authorization: null, now: later(1) }, fold(endpointDecider, [registered]));
    expect(removed.type === 'webhook.endpoint.updated' && removed.data.authorization).toBeNull();
  });

  it('an update that changes nothing decides nothing', () => {
    given(endpointDecider, [registered])
      .when({ type: 'UpdateEndpoint', projectId: 'p1', changes: { name: settings.name }, now: later(1) })
      .then([]);
  });

  it('an update that repeats the stored settings in another key order decides nothing', () => {
    // As the stream gives the registration back: jsonb orders keys by length, then bytewise.
    const stored: EndpointEvent = { ...registered, data: { ...registered.data, filters: { tags: ['qa'], toStatuses: ['done'], fromStatuses: ['new'] } } };
    given(endpointDecider, [stored])
      .when({ type: 'UpdateEndpoint', projectId: 'p1', changes: { filters: { toStatuses: ['done'], fromStatuses: ['new'], tags: ['qa'] } }, now: later(1) })
      .then([]);
  });

  it('refuses to delete an endpoint a workflow stage manages, naming the stage, and deletes it once released', () => {
    const managed: EndpointEvent = { type: 'webhook.endpoint.updated', data: { ...registered.data, managedBy: { workflowId: 'wf1', stageId: 'qa-hook' }, at: NOW.toISOString() } };
    given(endpointDecider, [registered, managed]).when({ type: 'DeleteEndpoint', projectId: 'p1', now: NOW }).thenThrows(ConflictError);
    expect(() => endpointDecider.decide({ type: 'DeleteEndpoint', projectId: 'p1', now: NOW }, fold(endpointDecider, [registered, managed]))).toThrow(
      "stage 'qa-hook' of workflow wf1",
    );
    const released: EndpointEvent = { type: 'webhook.endpoint.updated', data: { ...registered.data, managedBy: null, at: NOW.toISOString() } };
    given(endpointDecider, [registered, managed, released])
      .when({ type: 'DeleteEndpoint', projectId: 'p1', now: NOW })
      .then([{ type: 'webhook.endpoint.deleted', data: { endpointId: 'ep1', projectId: 'p1', at: NOW.toISOString() } }]);
  });

  it('refuses every command on a deleted endpoint', () => {
    const deleted: EndpointEvent = { type: 'webhook.endpoint.deleted', data: { endpointId: 'ep1', projectId: 'p1', at: NOW.toISOString() } };
    given(endpointDecider, [registered, deleted])
      .when({ type: 'UpdateEndpoint', projectId: 'p1', changes: { name: 'x' }, now: NOW })
      .thenThrows(NotFoundError);
    given(endpointDecider, [registered, deleted]).when({ type: 'DeleteEndpoint', projectId: 'p1', now: NOW }).thenThrows(NotFoundError);
    given(endpointDecider, [registered, deleted])
      .when({ type: 'RegisterEndpoint', endpointId: 'ep1', projectId: 'p1', settings, authorization: null, signingSecret: sealed('s'), now: NOW })
      .thenThrows(ConflictError);
  });

  it('the registered state matches events by wildcard and filter', () => {
    const state = fold(endpointDecider, [registered]);
    if (state.status !== 'live') throw new Error('expected live');
    const ev = (to: string) => ({ type: 'item.status.changed', data: { itemId: 'i', datasetId: 'd', from: 'new', to } });
    expect(matchesSubscription(state.endpoint, ev('done'))).toBe(true);
    expect(matchesSubscription(state.endpoint, ev('in_progress'))).toBe(false);
    const wide = { ...state.endpoint, eventTypes: ['item.*', 'workflow.stage.*'], filters: {} };
    expect(matchesSubscription(wide, ev('in_progress'))).toBe(true);
    expect(matchesSubscription(wide, { type: 'workflow.stage.entered', data: { workflowId: 'w' } })).toBe(true);
    expect(matchesSubscription(wide, { type: 'workflow.item.completed', data: { workflowId: 'w' } })).toBe(false);
  });
});
