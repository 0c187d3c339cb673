import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { newEvent, toCloudEvent, type EndpointStateData } from '@stagehook/contracts';
import { DeadLetterRepository } from '@stagehook/messaging';
import { runDeadLettersCli } from '@stagehook/platform';
import { until } from '@stagehook/testing';
import { DataSource } from 'typeorm';
import { AUTH_SECRET, Harness, whsec } from './support/harness.js';

const OPS = 'ops';

/**
 * The dead-letter API and CLI on the delivery service. The runner's part (a handler failing,
 * the fix, the replay, one effect) is proven in messaging's redrive.int.spec; here: the HTTP
 * surface, its access rule, and a replay through delivery's own consumer.
 */
describe('dead letters API', () => {
  const h = new Harness('deadletters');
  let app: NestExpressApplication;

  beforeAll(async () => {
    await h.setUp();
    app = await h.boot({ DEAD_LETTER_OPERATORS: OPS });
  });

  afterAll(async () => {
    await h.tearDown();
  });

  async function call(method: string, path: string, project = OPS, body?: unknown) {
    const res = await fetch(h.url(app, path), {
      method,
      headers: { authorization: `Bearer ${h.token(project)}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  function cli(argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
    const out: string[] = [];
    const err: string[] = [];
    return runDeadLettersCli([...argv, '--url', h.url(app, ''), '--project', OPS], { AUTH_TOKEN_SECRETS: AUTH_SECRET }, { out: (l) => out.push(l), err: (l) => err.push(l) }).then(
      (code) => ({ code, out, err }),
    );
  }

  it('lists, shows and replays dead letters for operators only; a replayed event has its effect once', async () => {
    // A genuinely malformed event: delivery-item-events dead-letters it at once.
    await h.js.publish(
      h.ns.subject('item.status.changed'),
      JSON.stringify({ ...toCloudEvent({ ...newEvent('item.status.changed', {} as never, { source: 'items', projectId: 'p1' }), streamId: 'item-x', createdAt: new Date() }) }),
    );
    await h.waitForRow(`SELECT 1 FROM msg_dead_letters WHERE consumer = 'delivery-item-events'`, []);

    // A registration the endpoint consumer gave up on (as the runner records it when a handler
    // fails on its last delivery), whose cause is fixed now.
    const endpointId = `ep_${randomUUID().slice(0, 8)}`;
    const state: EndpointStateData = {
      endpointId,
      projectId: 'p1',
      name: 'dead-lettered',
      url: 'http://127.0.0.1:9/x',
      eventTypes: [],
      filters: {},
      includeAnnotations: false,
      timeoutMs: 5_000,
      retryPolicy: null,
      headers: [],
      active: true,
      disabledReason: null,
      authorization: null,
      signingSecrets: { current: h.box.seal(whsec()), previous: null },
      at: new Date().toISOString(),
    };
    const ev = toCloudEvent({
      ...newEvent('webhook.endpoint.registered', state, { source: 'webhooks', projectId: 'p1' }),
      streamId: `endpoint-${endpointId}`,
      streamVersion: 1,
      createdAt: new Date(),
    });
    const body = JSON.stringify(ev);
    const { id } = await new DeadLetterRepository(app.get(DataSource)).record({
      consumer: 'delivery-endpoints',
      stream: h.ns.streamName('WEBHOOKS'),
      subject: h.ns.subject(ev.type),
      streamSeq: 999_999,
      storedAt: new Date(),
      eventId: ev.id,
      eventType: ev.type,
      reason: 'failed after 10 deliveries: connection pool exhausted',
      payload: body,
      payloadEncoding: 'utf8',
      payloadBytes: Buffer.byteLength(body),
      payloadTruncated: false,
      headers: { 'Nats-Msg-Id': [ev.id] },
      deliveryCount: 10,
    });

    // Not an operator: the API does not exist for them.
    expect((await call('GET', '/dead-letters', 'p1')).status).toBe(404);
    expect((await call('POST', `/dead-letters/${id}/replay`, 'p1')).status).toBe(404);

    const list = await call('GET', '/dead-letters?consumer=delivery-endpoints&reason=POOL%20exhausted');
    expect(list.status).toBe(200);
    expect((list.body.items as { id: string }[]).map((d) => d.id)).toEqual([id]);
    expect(list.body.consumers).toEqual(expect.arrayContaining(['delivery-endpoints', 'delivery-item-events']));
    const shown = await call('GET', `/dead-letters/${id}`);
    expect(shown.body).toMatchObject({ id, consumer: 'delivery-endpoints', eventId: ev.id, payload: body, replayCount: 0 });
    expect((await call('GET', '/dead-letters/123456789')).status).toBe(404);
    expect((await call('GET', '/dead-letters/abc')).status).toBe(400);

    const replayed = await call('POST', `/dead-letters/${id}/replay`);
    expect(replayed).toEqual({ status: 200, body: expect.objectContaining({ id, outcome: 'handled' }) as unknown });
    await until(async () => (await h.query(`SELECT 1 FROM dl_endpoints WHERE id = $1 AND registered`, [endpointId])).length === 1);
    // Twice: nothing runs again.
    expect((await call('POST', `/dead-letters/${id}/replay`)).body).toMatchObject({ outcome: 'already-handled' });
    expect(await h.query(`SELECT count(*)::int AS n FROM msg_handled WHERE consumer = 'delivery-endpoints' AND event_id = $1`, [ev.id])).toEqual([{ n: 1 }]);

    // The CLI, over the same API: the malformed one is still unresolved; replaying it fails again.
    const listed = await cli(['list', '--unresolved']);
    expect(listed.code).toBe(0);
    const unresolved = (JSON.parse(listed.out[0]) as { items: { consumer: string }[] }).items;
    expect(unresolved.map((d) => d.consumer)).toEqual(['delivery-item-events']);
    const all = await cli(['replay', '--all', '--consumer', 'delivery-item-events']);
    expect(JSON.parse(all.out[0])).toMatchObject({ replayed: 1, counts: { 'dead-lettered-again': 1 } });
    const shownByCli = await cli(['show', id]);
    expect(JSON.parse(shownByCli.out[0])).toMatchObject({ id, replayCount: 2, replayOutcome: 'already-handled' });
    expect((await cli(['replay'])).code).toBe(2);
  });
});
