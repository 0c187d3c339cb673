import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { ItemsRpc } from '@stagehook/contracts';
import { serveRpc } from '@stagehook/messaging';
import { customHeaderField, sealEndpointSecret } from '@stagehook/platform';
import { TestReceiver, answer, until } from '@stagehook/testing';
import { Webhook } from 'standardwebhooks';
import { DispatcherHost } from '../src/commands/attempt-delivery/dispatcher.host.js';
import { DeliveryQueue } from '../src/persistence/delivery-queue.repository.js';
import { Harness, itemSummary, whsec } from './support/harness.js';
import { slackMessageProblems } from './support/slack-message.js';

const P = 'proj-a';

describe('delivery service', () => {
  const h = new Harness('main');
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

  it('delivers a webhook stage entry signed, with auth and custom headers, and records the delivered outcome', async () => {
    const endpointId = `ep_${randomUUID().slice(0, 8)}`;
    const ep = await h.registerEndpoint(P, `${rx.url}/ok`, {
      endpointId,
      auth: 'Bearer s3cr3t',
      // A value sealed by the registry (bound to endpoint and header) and one from an event written before sealing.
      headers: [
        { name: 'X-Api-Key', sealed: sealEndpointSecret(h.box, 'key-9f8e7d', endpointId, customHeaderField('X-Api-Key')) },
        { name: 'X-Team', value: 'vision' },
      ],
    });
    const entry = await h.enterWebhookStage(P, ep.endpointId);
    const [req] = await rx.waitFor(1, '/ok');
    expect(req.headers['authorization']).toBe('Bearer s3cr3t');
    expect(req.headers['x-api-key']).toBe('key-9f8e7d');
    expect(req.headers['x-team']).toBe('vision');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['user-agent']).toMatch(/Stagehook/);
    const payload = new Webhook(ep.secret).verify(req.body, req.headers as Record<string, string>) as { type: string; data: Record<string, unknown> };
    expect(payload.type).toBe('workflow.stage.entered');
    expect(payload.data).toMatchObject({ workflowId: 'wf_1', stageId: 'st_hook', visitId: entry.visitId, itemId: entry.itemId, itemVersion: 3 });
    // Without annotations the payload carries the item's metadata as of the entered version (V7).
    expect(payload.data.item).toEqual({
      id: entry.itemId,
      name: 'cat.jpg',
      path: '/pets',
      dataset: { id: 'ds_1', name: 'Cats', slug: 'cats' },
      datasetId: 'ds_1',
      datasetName: 'Cats',
      slots: [{ name: '0', type: 'image', width: 640, height: 480, sourceUrl: `https://images.example/${entry.itemId}.jpg` }],
      status: 'in_progress',
      tags: ['urgent'],
      metadata: { camera: 'north' },
    });
    expect(payload.data.annotations).toBeUndefined();
    expect(h.headAsked).toContainEqual({ projectId: P, itemId: entry.itemId, version: 3 });
    await until(async () => (await h.outcomes(entry.eventId)).length === 1, { message: 'outcome event' });
    const [outcome] = await h.outcomes(entry.eventId);
    expect(outcome.type).toBe('delivery.webhook.delivered');
    expect(outcome.data).toMatchObject({
      endpointId: ep.endpointId,
      visitId: entry.visitId,
      stageId: 'st_hook',
      attempts: 1,
      lastStatusCode: 200,
      lastError: null,
      triggerType: 'workflow.stage.entered',
    });
    // The relay publishes it to the DELIVERY stream for the workflow service.
    await until(async () => (await h.jsm.streams.info(h.ns.streamName('DELIVERY'))).state.messages >= 1, { message: 'relayed' });

    // The attempt log redacts the authorization header.
    const deliveryId = outcome.data.deliveryId as string;
    const res = await fetch(h.url(app, `/deliveries/${deliveryId}/attempts`), { headers: { authorization: `Bearer ${h.token(P)}` } });
    expect(res.status).toBe(200);
    const attempts = (await res.json()) as { data: { statusCode: number; requestHeaders: Record<string, string>; responseBody: string }[] };
    expect(attempts.data).toHaveLength(1);
    expect(attempts.data[0].statusCode).toBe(200);
    expect(attempts.data[0].requestHeaders).toMatchObject({ authorization: '[redacted]', 'x-api-key': '[redacted]', 'x-team': '[redacted]' });
    for (const secret of ['s3cr3t', 'key-9f8e7d', 'vision']) expect(JSON.stringify(attempts.data)).not.toContain(secret);
    expect(await h.query(`SELECT 1 FROM dl_attempts WHERE request_headers::text LIKE '%key-9f8e7d%'`)).toEqual([]);
    expect(attempts.data[0].responseBody).toBe('{"ok":true}');
    // Another project's token sees nothing.
    const other = await fetch(h.url(app, `/deliveries/${deliveryId}/attempts`), { headers: { authorization: `Bearer ${h.token('proj-b')}` } });
    expect(other.status).toBe(404);
  });

  it('sends a delivery this process created from its own commit, leased to it: no claim reads it', async () => {
    const queue = app.get(DeliveryQueue);
    const { node } = app.get(DispatcherHost);
    const claimed: string[] = [];
    const claimDue = queue.claimDue.bind(queue);
    queue.claimDue = async (...args) => {
      const got = await claimDue(...args);
      claimed.push(...got.map((c) => c.id));
      return got;
    };
    try {
      const ep = await h.registerEndpoint(P, `${rx.url}/handoff`);
      const entry = await h.enterWebhookStage(P, ep.endpointId);
      await rx.waitFor(1, '/handoff');
      await until(async () => (await h.outcomes(entry.eventId)).length === 1, { message: 'outcome event' });
      const [delivery] = await h.query<{ id: string; status: string; locked_by: string | null }>(
        `SELECT d.id, d.status, d.locked_by FROM dl_deliveries d JOIN dl_messages m ON m.id = d.message_id WHERE m.trigger_event_id = $1`,
        [entry.eventId],
      );
      expect(delivery).toMatchObject({ status: 'delivered', locked_by: null });
      expect(await h.query(`SELECT sent_by FROM dl_attempts WHERE delivery_id = $1`, [delivery.id])).toEqual([{ sent_by: node }]);
      expect(claimed).not.toContain(delivery.id);
    } finally {
      queue.claimDue = claimDue;
    }
  });

  it("shapes each endpoint's webhooks in its payload format — standard, V7 Darwin, Slack — all signed the same way", async () => {
    const darwinDoc = {
      version: '2.0',
      schema_ref: 'https://darwin-public.s3.eu-west-1.amazonaws.com/darwin_json/2.0/schema.json',
      item: { name: 'cat.jpg', path: '/pets', source_info: { workview_url: 'https://console.example/workview/x' } },
      annotations: [{ id: 'a1', name: 'cat', bounding_box: { x: 1, y: 2, w: 3, h: 4 } }],
    };
    const sub = serveRpc(h.nc, h.ns, ItemsRpc.darwinExport, 'items', async (req) => {
      const r = req as { itemId: string; version: number };
      return { ok: true, item: itemSummary(P, r.itemId, r.version), darwin: darwinDoc };
    });
    try {
      const endpoints = {
        standard: await h.registerEndpoint(P, `${rx.url}/fmt-standard`, { payloadFormat: 'standard' }),
        darwin: await h.registerEndpoint(P, `${rx.url}/fmt-darwin`, { payloadFormat: 'darwin', includeAnnotations: true }),
        darwinMeta: await h.registerEndpoint(P, `${rx.url}/fmt-meta-darwin`, { payloadFormat: 'darwin' }),
        slack: await h.registerEndpoint(P, `${rx.url}/fmt-slack`, { payloadFormat: 'slack', includeAnnotations: true }),
      };
      const entries = Object.fromEntries(await Promise.all(Object.entries(endpoints).map(async ([k, ep]) => [k, await h.enterWebhookStage(P, ep.endpointId)] as const)));
      const got = async (k: keyof typeof endpoints) => {
        const [req] = await rx.waitFor(1, `/fmt-${k === 'darwinMeta' ? 'meta-darwin' : k}`);
        // Standard Webhooks signature over the bytes as sent, whatever the format.
        new Webhook(endpoints[k].secret).verify(req.body, req.headers as Record<string, string>);
        return JSON.parse(req.body) as Record<string, unknown>;
      };
      expect(await got('standard')).toMatchObject({ type: 'workflow.stage.entered', data: { itemId: entries.standard.itemId } });
      // V7: the Darwin document at the top level, workflow/stage/visit beside it.
      expect(await got('darwin')).toEqual({
        ...darwinDoc,
        workflow: { id: 'wf_1', version: 1 },
        stage: { id: 'st_hook', name: 'Send to model' },
        visit: { id: entries.darwin.visitId, entered_at: entries.darwin.enteredAt, item_version: 3 },
      });
      const meta = await got('darwinMeta');
      expect(meta).toMatchObject({
        version: '2.0',
        item: {
          name: 'cat.jpg',
          path: '/pets',
          slots: [{ slot_name: '0', type: 'image', width: 640, height: 480, source_files: [{ url: `https://images.example/${entries.darwinMeta.itemId}.jpg` }] }],
        },
      });
      expect(meta.annotations).toBeUndefined();
      const slack = await got('slack');
      expect(slackMessageProblems(slack)).toEqual([]);
      expect(slack.text).toBe('cat.jpg entered stage Send to model'.replace('cat.jpg', '<https://console.example/workview/x|cat.jpg>'));
      expect(JSON.stringify(slack.blocks)).toContain('`urgent`');
      // The stored message is the standard body; formats are applied per endpoint when sending.
      const [stored] = await h.query<{ body: string }>(`SELECT m.body FROM dl_messages m JOIN dl_deliveries d ON d.message_id = m.id WHERE d.endpoint_id = $1`, [
        endpoints.slack.endpointId,
      ]);
      expect(JSON.parse(stored.body)).toMatchObject({ type: 'workflow.stage.entered' });
    } finally {
      sub.unsubscribe();
    }
  });

  it('retries a 500 with the same bytes and webhook-id, then succeeds', async () => {
    rx.next('/flaky', answer.status(500, 'boom'));
    const ep = await h.registerEndpoint(P, `${rx.url}/flaky`);
    const entry = await h.enterWebhookStage(P, ep.endpointId);
    const reqs = await rx.waitFor(2, '/flaky');
    expect(reqs[0].answered).toBe(500);
    expect(reqs[1].body).toBe(reqs[0].body);
    expect(reqs[1].headers['webhook-id']).toBe(reqs[0].headers['webhook-id']);
    expect(() => new Webhook(ep.secret).verify(reqs[1].body, reqs[1].headers as Record<string, string>)).not.toThrow();
    await until(async () => (await h.outcomes(entry.eventId)).length === 1);
    const [o] = await h.outcomes(entry.eventId);
    expect(o.type).toBe('delivery.webhook.delivered');
    expect(o.data.attempts).toBe(2);
  });

  it('times out a hanging receiver and retries', async () => {
    rx.next('/hang', answer.hang());
    const ep = await h.registerEndpoint(P, `${rx.url}/hang`, { timeoutMs: 1_000 });
    const entry = await h.enterWebhookStage(P, ep.endpointId);
    const reqs = await rx.waitFor(2, '/hang', 15_000);
    expect(reqs[1].receivedAt - reqs[0].receivedAt).toBeGreaterThanOrEqual(1_000);
    await until(async () => (await h.outcomes(entry.eventId)).length === 1, { timeoutMs: 10_000 });
    const [o] = await h.outcomes(entry.eventId);
    expect(o.type).toBe('delivery.webhook.delivered');
    const [a1] = await h.query<{ error: string }>(`SELECT error FROM dl_attempts WHERE delivery_id = $1 AND n = 1`, [o.data.deliveryId]);
    expect(a1.error).toMatch(/timed out/);
  });

  it('fails the stage after its attempts are spent', async () => {
    rx.setDefault(answer.status(502), '/down');
    const ep = await h.registerEndpoint(P, `${rx.url}/down`);
    const entry = await h.enterWebhookStage(P, ep.endpointId, { maxAttempts: 3 });
    await until(async () => (await h.outcomes(entry.eventId)).length === 1, { timeoutMs: 10_000 });
    const [o] = await h.outcomes(entry.eventId);
    expect(o.type).toBe('delivery.webhook.failed');
    expect(o.data).toMatchObject({ attempts: 3, lastStatusCode: 502, lastError: 'HTTP 502' });
    expect(rx.received('/down')).toHaveLength(3);
  });

  it('honours Retry-After on 429', async () => {
    rx.next('/slowdown', answer.retryAfter(2));
    const ep = await h.registerEndpoint(P, `${rx.url}/slowdown`);
    const entry = await h.enterWebhookStage(P, ep.endpointId);
    const reqs = await rx.waitFor(2, '/slowdown', 10_000);
    // The stage schedule alone would retry after 200 ms.
    expect(reqs[1].receivedAt - reqs[0].receivedAt).toBeGreaterThanOrEqual(1_900);
    await until(async () => (await h.outcomes(entry.eventId))[0]?.type === 'delivery.webhook.delivered');
  });

  it('disables the endpoint on 410, fails what waits for it, and replays it when the registry enables it', async () => {
    rx.next('/gone', answer.status(410));
    const ep = await h.registerEndpoint(P, `${rx.url}/gone`);
    const first = await h.enterWebhookStage(P, ep.endpointId);
    await until(async () => (await h.outcomes(first.eventId)).length === 1);
    expect((await h.outcomes(first.eventId))[0].data).toMatchObject({ attempts: 1, lastStatusCode: 410 });
    const [row] = await h.query<{ disabled_at: Date | null; disabled_reason: string }>(`SELECT disabled_at, disabled_reason FROM dl_endpoints WHERE id = $1`, [ep.endpointId]);
    expect(row.disabled_at).not.toBeNull();
    expect(row.disabled_reason).toMatch(/410/);
    const disabledEvents = await h.query(`SELECT 1 FROM es_events WHERE type = 'delivery.endpoint.disabled' AND data->>'endpointId' = $1`, [ep.endpointId]);
    expect(disabledEvents).toHaveLength(1);

    // While disabled, a new stage entry fails at once without a request.
    const second = await h.enterWebhookStage(P, ep.endpointId);
    await until(async () => (await h.outcomes(second.eventId)).length === 1);
    expect((await h.outcomes(second.eventId))[0].type).toBe('delivery.webhook.failed');
    expect(rx.received('/gone')).toHaveLength(1);

    // Delivery has no enable of its own: the registry's enable (its event) ends delivery's disable.
    const byDelivery = await fetch(h.url(app, `/endpoints/${ep.endpointId}/enable`), { method: 'POST', headers: { authorization: `Bearer ${h.token(P)}` } });
    expect(byDelivery.status).toBe(404);
    await h.publish('webhook.endpoint.enabled', { endpointId: ep.endpointId, projectId: P, by: 'user:ana', at: new Date().toISOString() }, P, `endpoint-${ep.endpointId}`);
    await until(async () => (await h.query(`SELECT 1 FROM dl_endpoints WHERE id = $1 AND disabled_at IS NULL`, [ep.endpointId])).length === 1, { message: 'own disable cleared' });
    const enabled = await h.query<{ data: { replayed: number } }>(`SELECT data FROM es_events WHERE type = 'delivery.endpoint.enabled' AND data->>'endpointId' = $1`, [
      ep.endpointId,
    ]);
    expect(enabled.map((e) => e.data.replayed)).toEqual([1]);
    await rx.waitFor(2, '/gone');
    await until(async () => (await h.outcomes(second.eventId)).some((o) => o.type === 'delivery.webhook.delivered'));
  });

  it('a 410 disables the endpoint in a short transaction; its backlog fails after it, in bounded batches, even deliveries due in an hour', async () => {
    rx.setDefault(answer.status(500), '/backlog');
    const ep = await h.registerEndpoint(P, `${rx.url}/backlog`, { eventTypes: ['item.status.changed'], retryPolicy: { maxAttempts: 5, backoffSeconds: [3600] } });
    const status = (i: number) => ({
      itemId: `it_bl${i}`,
      datasetId: 'ds_1',
      projectId: P,
      from: 'new' as const,
      to: 'in_progress' as const,
      changedBy: 'u_1',
      reason: null,
      itemVersion: 2,
      changedAt: new Date().toISOString(),
    });
    const N = 450;
    for (let i = 0; i < N; i++) await h.publish('item.status.changed', status(i), P, `item-it_bl${i}`);
    // A backlog: the first few fail and wait an hour for their second attempt, the breaker opens
    // and holds the rest back.
    await until(async () => (await h.query(`SELECT 1 FROM dl_deliveries WHERE endpoint_id = $1 AND status = 'pending'`, [ep.endpointId])).length === N, {
      timeoutMs: 60_000,
      message: 'the backlog is pending',
    });
    rx.setDefault(answer.status(410), '/backlog');
    await h.publish('item.status.changed', status(N), P, `item-it_bl${N}`);
    await until(async () => (await h.query(`SELECT 1 FROM dl_deliveries WHERE endpoint_id = $1 AND status = 'failed'`, [ep.endpointId])).length === N + 1, {
      timeoutMs: 30_000,
      message: 'every delivery of the disabled endpoint failed',
    });
    const reasons = await h.query<{ last_error: string }>(`SELECT DISTINCT last_error FROM dl_deliveries WHERE endpoint_id = $1 AND last_error <> 'HTTP 410'`, [ep.endpointId]);
    // Failed by the backlog job, or by a claim that found the endpoint disabled first.
    for (const r of reasons) expect(['endpoint disabled: the endpoint answered 410 Gone', 'endpoint disabled or deleted']).toContain(r.last_error);
    // The disabling transaction holds the attempt and the disable only; the backlog's outcome
    // events were written by transactions of at most 200 (before, all 450 went in the one).
    const byTx = await h.query<{ tx: string; n: number; disabled: boolean }>(
      `SELECT transaction_id::text AS tx, count(*) FILTER (WHERE type = 'delivery.webhook.failed')::int AS n, bool_or(type = 'delivery.endpoint.disabled') AS disabled
       FROM es_events WHERE (type = 'delivery.webhook.failed' AND data->>'endpointId' = $1) OR (type = 'delivery.endpoint.disabled' AND data->>'endpointId' = $1)
       GROUP BY transaction_id`,
      [ep.endpointId],
    );
    expect(byTx.find((t) => t.disabled)?.n).toBe(1);
    expect(Math.max(...byTx.map((t) => t.n))).toBeLessThanOrEqual(200);
    expect(byTx.reduce((a, t) => a + t.n, 0)).toBe(N + 1);
    rx.reset();
  }, 120_000);

  it('refuses SSRF targets at connect time: a name resolving to loopback, and a private literal', async () => {
    const byName = await h.registerEndpoint(P, `http://localhost:${rx.port}/ssrf`);
    const byIp = await h.registerEndpoint(P, `http://10.1.2.3:${rx.port}/ssrf`);
    const a = await h.enterWebhookStage(P, byName.endpointId, { maxAttempts: 1 });
    const b = await h.enterWebhookStage(P, byIp.endpointId, { maxAttempts: 1 });
    await until(async () => (await h.outcomes(a.eventId)).length === 1 && (await h.outcomes(b.eventId)).length === 1, { timeoutMs: 10_000 });
    for (const e of [a, b]) {
      const [o] = await h.outcomes(e.eventId);
      expect(o.type).toBe('delivery.webhook.failed');
      expect(o.data.lastError).toMatch(/SSRF/);
    }
    expect(rx.received('/ssrf')).toHaveLength(0);
  });

  it('signs with both secrets during a rotation', async () => {
    const [newS, oldS] = [whsec(), whsec()];
    const ep = await h.registerEndpoint(P, `${rx.url}/rotating`, { secrets: [newS, oldS] });
    await h.enterWebhookStage(P, ep.endpointId);
    const [req] = await rx.waitFor(1, '/rotating');
    expect(String(req.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(() => new Webhook(newS).verify(req.body, req.headers as Record<string, string>)).not.toThrow();
    expect(() => new Webhook(oldS).verify(req.body, req.headers as Record<string, string>)).not.toThrow();
  });

  it('fans an item status change out to subscribed endpoints whose filters match', async () => {
    const all = await h.registerEndpoint(P, `${rx.url}/status-all`, { eventTypes: ['item.*'] });
    await h.registerEndpoint(P, `${rx.url}/status-done`, { eventTypes: ['item.status.changed'], filters: { toStatuses: ['done'] } });
    const eventId = await h.publish(
      'item.status.changed',
      { itemId: 'it_s1', datasetId: 'ds_1', projectId: P, from: 'new', to: 'in_progress', changedBy: 'u_1', reason: null, itemVersion: 2, changedAt: new Date().toISOString() },
      P,
      'item-it_s1',
    );
    const [req] = await rx.waitFor(1, '/status-all');
    const body = new Webhook(all.secret).verify(req.body, req.headers as Record<string, string>) as { type: string; data: Record<string, unknown> };
    expect(body.type).toBe('item.status.changed');
    expect(body.data).toMatchObject({ itemId: 'it_s1', datasetId: 'ds_1', projectId: P, oldStatus: 'new', newStatus: 'in_progress', changedBy: 'u_1' });
    await until(async () => (await h.outcomes(eventId)).length === 1);
    expect(rx.received('/status-done')).toHaveLength(0);
  });

  it('freezes the Darwin export of the entered item version, waiting for items when it does not answer', async () => {
    const ep = await h.registerEndpoint(P, `${rx.url}/darwin`, { includeAnnotations: true });
    // A silent listener: the export is asked for but nobody answers (items is down).
    let askedWhileDown = 0;
    // While the request waits for its answer, no consumer transaction may be open: it would hold
    // back the relay horizon of the whole database.
    const openWhileAsking: Promise<number>[] = [];
    const silent = h.nc.subscribe(h.ns.subject(ItemsRpc.darwinExport.subject), {
      callback: () => {
        askedWhileDown++;
        openWhileAsking.push(
          h.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'`).then((r) => r[0].n),
        );
      },
    });
    const entry = await h.enterWebhookStage(P, ep.endpointId);
    await until(() => askedWhileDown >= 2, { timeoutMs: 15_000, message: 'the export was asked for twice' });
    silent.unsubscribe();
    expect(await Promise.all(openWhileAsking)).toEqual(openWhileAsking.map(() => 0));
    // Waiting for items spends no deliveries of the stage entry.
    expect((await h.jsm.consumers.info(h.ns.streamName('WORKFLOW'), h.ns.durable('delivery-stage-entered'))).num_redelivered).toBe(0);
    // Nothing is sent without the annotations.
    expect(rx.received('/darwin')).toHaveLength(0);
    const asked: unknown[] = [];
    const sub = serveRpc(h.nc, h.ns, ItemsRpc.darwinExport, 'items', async (req) => {
      asked.push(req);
      const r = req as { itemId: string; version: number };
      return {
        ok: true,
        item: itemSummary(P, r.itemId, r.version),
        darwin: { version: '2.0', item: { name: 'cat.jpg' }, annotations: [{ id: 'a1', name: 'cat', bounding_box: { x: 1, y: 2, w: 3, h: 4 } }] },
      };
    });
    try {
      const [req] = await rx.waitFor(1, '/darwin', 30_000);
      const body = JSON.parse(req.body) as { data: { annotations: { version: string }; item: { name: string } } };
      expect(body.data.annotations.version).toBe('2.0');
      expect(body.data.item.name).toBe('cat.jpg');
      expect(asked[0]).toEqual({ projectId: P, itemId: entry.itemId, version: 3 });
    } finally {
      sub.unsubscribe();
    }
  }, 40_000);

  it('follows an endpoint that turns annotations on right after a stage entry read it, spending at most one redelivery', async () => {
    const ep = await h.registerEndpoint(P, `${rx.url}/turns-on`, { includeAnnotations: false });
    const sub = serveRpc(h.nc, h.ns, ItemsRpc.darwinExport, 'items', async (req) => {
      const r = req as { itemId: string; version: number };
      return { ok: true, item: itemSummary(P, r.itemId, r.version), darwin: { version: '2.0', item: { name: 'dog.jpg' }, annotations: [] } };
    });
    const redelivered = async () => (await h.jsm.consumers.info(h.ns.streamName('WORKFLOW'), h.ns.durable('delivery-stage-entered'))).num_redelivered;
    try {
      await h.enterWebhookStage(P, ep.endpointId);
      await rx.waitFor(1, '/turns-on');
      const before = await redelivered();
      // The registry turns annotations on; the next entry follows at once, though the last one
      // read the endpoint a moment ago.
      const { secret: _secret, ...state } = ep;
      await h.publish('webhook.endpoint.updated', { ...state, includeAnnotations: true, at: new Date().toISOString() }, P, `endpoint-${ep.endpointId}`);
      await h.waitForRow(`SELECT 1 FROM dl_endpoints WHERE id = $1 AND (state->>'includeAnnotations')::boolean`, [ep.endpointId]);
      await h.enterWebhookStage(P, ep.endpointId);
      const [, second] = await rx.waitFor(2, '/turns-on');
      expect((JSON.parse(second.body) as { data: { annotations?: { version: string } } }).data.annotations?.version).toBe('2.0');
      expect((await redelivered()) - before).toBeLessThanOrEqual(1);
    } finally {
      sub.unsubscribe();
    }
  });

  it('disables an endpoint that has had no success for the configured days on its next failure', async () => {
    rx.setDefault(answer.status(500), '/days');
    const ep = await h.registerEndpoint(P, `${rx.url}/days`);
    // Arrange: failing for 6 days (the default limit is 5), as the health columns would say.
    await h.query(`UPDATE dl_endpoints SET failing_since = now() - interval '6 days' WHERE id = $1`, [ep.endpointId]);
    const entry = await h.enterWebhookStage(P, ep.endpointId, { maxAttempts: 3 });
    await until(async () => (await h.outcomes(entry.eventId)).length === 1);
    const [o] = await h.outcomes(entry.eventId);
    expect(o.type).toBe('delivery.webhook.failed');
    const [row] = await h.query<{ disabled_reason: string | null }>(`SELECT disabled_reason FROM dl_endpoints WHERE id = $1`, [ep.endpointId]);
    expect(row.disabled_reason).toMatch(/no successful delivery for 120 h/);
    // One attempt only: the disable ended the delivery's remaining attempts.
    expect(rx.received('/days')).toHaveLength(1);
  });
});
