import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DeliveryRpc } from '@stagehook/contracts';
import { rpcRequest } from '@stagehook/messaging';
import { TestReceiver, until } from '@stagehook/testing';
import { Webhook } from 'standardwebhooks';
import { Harness } from './support/harness.js';

const P = 'proj-a';

/** The project's HTTP routes and the test ping, against the whole service. */
describe('delivery service API', () => {
  const h = new Harness('api');
  let app: NestExpressApplication;
  let rx: TestReceiver;

  beforeAll(async () => {
    await h.setUp();
    rx = await TestReceiver.start();
    app = await h.boot();
  });

  afterAll(async () => {
    await h.tearDown();
    await rx.close();
  });

  it('lists deliveries with filters and cursor paging; redelivers one', async () => {
    const ep = await h.registerEndpoint(P, `${rx.url}/paged`);
    const entries = [];
    for (let i = 0; i < 3; i++) entries.push(await h.enterWebhookStage(P, ep.endpointId));
    await rx.waitFor(3, '/paged');
    await until(async () => (await h.query(`SELECT 1 FROM dl_deliveries WHERE endpoint_id = $1 AND status = 'delivered'`, [ep.endpointId])).length === 3);
    const auth = { authorization: `Bearer ${h.token(P)}` };
    const page1 = (await (await fetch(h.url(app, `/deliveries?endpointId=${ep.endpointId}&limit=2`), { headers: auth })).json()) as { data: { id: string }[]; nextCursor: string };
    expect(page1.data).toHaveLength(2);
    const page2 = (await (await fetch(h.url(app, `/deliveries?endpointId=${ep.endpointId}&limit=2&cursor=${page1.nextCursor}`), { headers: auth })).json()) as {
      data: { id: string }[];
      nextCursor: string | null;
    };
    expect(page2.data).toHaveLength(1);
    expect(new Set([...page1.data, ...page2.data].map((d) => d.id)).size).toBe(3);
    expect(page2.nextCursor).toBeNull();

    const bad = await fetch(h.url(app, `/deliveries?limit=0&status=nope`), { headers: auth });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toMatch(/limit|status/);

    const item = entries[1].itemId;
    const msgs = (await (await fetch(h.url(app, `/messages?itemId=${item}`), { headers: auth })).json()) as {
      data: { payload: { data: { visitId: string } }; deliveries: { delivered: number } }[];
    };
    expect(msgs.data).toHaveLength(1);
    expect(msgs.data[0].payload.data.visitId).toBe(entries[1].visitId);
    expect(msgs.data[0].deliveries.delivered).toBe(1);
    const otherProject = (await (await fetch(h.url(app, `/messages?itemId=${item}`), { headers: { authorization: `Bearer ${h.token('proj-b')}` } })).json()) as { data: unknown[] };
    expect(otherProject.data).toHaveLength(0);

    const re = await fetch(h.url(app, `/deliveries/${page1.data[0].id}/redeliver`), { method: 'POST', headers: auth });
    expect(re.status).toBe(202);
    await rx.waitFor(4, '/paged');
    const again = rx.received('/paged').filter((r) => r.headers['webhook-id'] === page1.data[0].id);
    expect(again).toHaveLength(2);
  });

  it("answers the test ping synchronously with the receiver's response", async () => {
    rx.next('/ping', { kind: 'status', status: 418, headers: { 'x-receiver': 'teapot' }, body: 'short and stout' });
    const ep = await h.registerEndpoint(P, `${rx.url}/ping`, { auth: 'Bearer pingpong' });
    const reply = await rpcRequest(h.nc, h.ns, DeliveryRpc.testPing, { projectId: P, endpointId: ep.endpointId }, { timeoutMs: 10_000 });
    if (!reply.ok) throw new Error(reply.message);
    expect(reply.statusCode).toBe(418);
    expect(reply.responseBody).toBe('short and stout');
    expect(reply.responseHeaders['x-receiver']).toBe('teapot');
    expect(reply.error).toBeNull();
    expect(reply.latencyMs).toBeGreaterThanOrEqual(0);
    const [req] = rx.received('/ping');
    expect(req.headers['webhook-id']).toBe(reply.webhookId);
    expect(req.headers['authorization']).toBe('Bearer pingpong');
    const body = new Webhook(ep.secret).verify(req.body, req.headers as Record<string, string>) as { type: string };
    expect(body.type).toBe('webhook.test');

    const other = await rpcRequest(h.nc, h.ns, DeliveryRpc.testPing, { projectId: 'proj-b', endpointId: ep.endpointId });
    expect(other).toMatchObject({ ok: false, code: 'not_found' });
    const bad = await rpcRequest(h.nc, h.ns, DeliveryRpc.testPing, { projectId: P } as never);
    expect(bad).toMatchObject({ ok: false, code: 'invalid_request' });
    // A refused target answers with the reason, not a timeout.
    const local = await h.registerEndpoint(P, `http://localhost:${rx.port}/ping`);
    const refused = await rpcRequest(h.nc, h.ns, DeliveryRpc.testPing, { projectId: P, endpointId: local.endpointId });
    expect(refused).toMatchObject({ ok: true, statusCode: null });
    expect((refused as { error: string }).error).toMatch(/SSRF/);
  });
});
