import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TestReceiver, until } from '@stagehook/testing';
import { Webhook } from 'standardwebhooks';
import { Platform } from './support/platform.js';

const P = 'proj-publish-e2e';
const TYPE = 'model.training.completed';

/**
 * Issue 18 end to end: a custom type registered in the registry, events published over HTTP with
 * a publish-scoped token, delivered by the delivery service to a real receiver, signed.
 */
describe('publishing custom event types through the running services', () => {
  let platform: Platform;
  let receiver: TestReceiver;

  beforeAll(async () => {
    receiver = await TestReceiver.start();
    platform = await Platform.start({ env: { delivery: { RETRY_SCHEDULE_MS: '0,100,200', DISPATCH_POLL_MS: '50' } } });
  });

  afterAll(async () => {
    await platform?.stop();
    await receiver?.close();
  });

  async function call<T = Record<string, unknown>>(service: 'webhooks' | 'delivery', method: string, path: string, body?: unknown, scopes?: string[]) {
    const res = await fetch(`${platform.url(service)}${path}`, {
      method,
      headers: { authorization: `Bearer ${platform.token(P, scopes ? { scopes } : {})}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as T };
  }

  async function endpoint(path: string, eventTypes: string[]): Promise<{ id: string; secret: string }> {
    const ep = await call<{ id: string }>('webhooks', 'POST', '/endpoints', { name: path, url: `${receiver.url}${path}`, eventTypes });
    expect(ep.status).toBe(201);
    const reveal = await call<{ secret: string }>('webhooks', 'POST', `/endpoints/${ep.body.id}/secret/reveal`);
    await until(async () => (await call('delivery', 'GET', `/endpoints/${ep.body.id}/circuit`)).status === 200, { timeoutMs: 30_000, message: 'delivery knows the endpoint' });
    return { id: ep.body.id, secret: reveal.body.secret };
  }

  const publish = (body: unknown) => call<{ id: string; version: number }>('webhooks', 'POST', '/events', body, ['publish']);

  it('delivers a valid event signed, refuses an invalid one naming its paths, serves old and new schema versions, and keeps delivering a deprecated type to its existing subscribers', async () => {
    const registered = await call('webhooks', 'POST', '/event-types', {
      name: TYPE,
      description: 'A training run finished',
      schema: { type: 'object', required: ['runId', 'accuracy'], properties: { runId: { type: 'string' }, accuracy: { type: 'number' } }, additionalProperties: false },
    });
    expect(registered.status).toBe(201);
    const exact = await endpoint('/exact', [TYPE]);
    const wild = await endpoint('/wild', ['model.*']);

    const invalid = await publish({ type: TYPE, data: { accuracy: 'high' } });
    expect(invalid.status).toBe(422);
    expect(JSON.stringify(invalid.body)).toContain('data.runId');
    expect(JSON.stringify(invalid.body)).toContain('data.accuracy');

    const v1 = await publish({ type: TYPE, data: { runId: 'r1', accuracy: 0.91 }, occurredAt: '2026-11-30T12:00:00.000Z' });
    expect(v1.status).toBe(202);
    await receiver.waitFor(1, '/exact', 30_000);
    await receiver.waitFor(1, '/wild', 30_000);
    const [req] = receiver.received('/exact');
    expect(new Webhook(exact.secret).verify(req.body, req.headers as Record<string, string>)).toEqual({
      type: TYPE,
      timestamp: '2026-11-30T12:00:00.000Z',
      data: { runId: 'r1', accuracy: 0.91 },
    });
    expect(() => new Webhook(wild.secret).verify(receiver.received('/wild')[0].body, receiver.received('/wild')[0].headers as Record<string, string>)).not.toThrow();
    const messages = await call<{ data: Array<{ triggerEventId: string; eventType: string }> }>('delivery', 'GET', `/messages?eventType=${TYPE}`);
    expect(messages.body.data.map((m) => m.triggerEventId)).toEqual([v1.body.id]);

    // A breaking change is a new version; both payload shapes are accepted with their version.
    expect(
      (
        await call('webhooks', 'POST', `/event-types/${TYPE}/versions`, {
          schema: { type: 'object', required: ['runId', 'metrics'], properties: { runId: { type: 'string' }, metrics: { type: 'object' } } },
        })
      ).status,
    ).toBe(201);
    expect((await publish({ type: TYPE, data: { runId: 'r2', metrics: { accuracy: 0.5 } } })).body.version).toBe(2);
    expect((await publish({ type: TYPE, version: 1, data: { runId: 'r3', accuracy: 0.4 } })).body.version).toBe(1);
    await receiver.waitFor(3, '/exact', 30_000);
    expect(
      receiver
        .received('/exact')
        .map((r) => (JSON.parse(r.body) as { data: { runId: string } }).data.runId)
        .sort(),
    ).toEqual(['r1', 'r2', 'r3']);

    // Deprecated: no new subscriptions, but the existing ones still receive its events.
    expect((await call('webhooks', 'POST', `/event-types/${TYPE}/deprecate`, { reason: 'renamed' })).status).toBe(200);
    expect((await call('webhooks', 'POST', '/endpoints', { name: 'late', url: `${receiver.url}/late`, eventTypes: [TYPE] })).status).toBe(422);
    expect((await publish({ type: TYPE, data: { runId: 'r4', metrics: {} } })).status).toBe(202);
    await receiver.waitFor(4, '/exact', 30_000);
    await receiver.waitFor(4, '/wild', 30_000);
  });

  it('an Idempotency-Key repeat delivers nothing new', async () => {
    // A wildcard must cover an open type: the only model.* type so far is deprecated.
    expect((await call('webhooks', 'POST', '/endpoints', { name: 'idem', url: `${receiver.url}/idem`, eventTypes: ['model.*'] })).status).toBe(400);
    expect((await call('webhooks', 'POST', '/event-types', { name: 'model.eval.finished', description: 'An evaluation finished', schema: { type: 'object' } })).status).toBe(201);
    await endpoint('/idem', ['model.*']);
    const body = { type: TYPE, data: { runId: 'idem', metrics: {} } };
    const headers = { authorization: `Bearer ${platform.token(P, { scopes: ['publish'] })}`, 'content-type': 'application/json', 'idempotency-key': 'retry-42' };
    const first = await fetch(`${platform.url('webhooks')}/events`, { method: 'POST', headers, body: JSON.stringify(body) }).then(async (r) => ({
      status: r.status,
      body: await r.text(),
    }));
    const second = await fetch(`${platform.url('webhooks')}/events`, { method: 'POST', headers, body: JSON.stringify(body) }).then(async (r) => ({
      status: r.status,
      body: await r.text(),
    }));
    expect(first.status).toBe(202);
    expect(second).toEqual(first);
    const id = (JSON.parse(first.body) as { id: string }).id;
    await receiver.waitFor(1, '/idem', 30_000);
    // A later event through the same pipeline arrives after any duplicate would have.
    await publish({ type: TYPE, data: { runId: 'after', metrics: {} } });
    await receiver.waitFor(2, '/idem', 30_000);
    const runs = receiver.received('/idem').map((r) => (JSON.parse(r.body) as { data: { runId: string } }).data.runId);
    expect(runs.filter((r) => r === 'idem')).toHaveLength(1);
    const messages = await call<{ data: Array<{ triggerEventId: string }> }>('delivery', 'GET', `/messages?eventType=${TYPE}&limit=100`);
    expect(messages.body.data.filter((m) => m.triggerEventId === id)).toHaveLength(1);
  });
});
