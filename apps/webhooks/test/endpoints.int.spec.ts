import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { jetstream, type JetStreamManager } from '@nats-io/jetstream';
import { BusNamespace, DeliveryRpc, parseEvent, WebhooksRpc, type CloudEvent } from '@stagehook/contracts';
import { rpcRequest, serveRpc } from '@stagehook/messaging';
import * as platform from '@stagehook/platform';
import { customHeaderField, openEndpointSecret, SecretBox, type NatsConnection } from '@stagehook/platform';
import { bootService, type BootedService, LogCapture, connectTestNats, deleteNamespace, uniqueName, until } from '@stagehook/testing';
import { EventStore } from '@stagehook/event-store';
import { DataSource } from 'typeorm';
import { webhooksService } from './support.js';

const SECRET_KEYS = `k1:${randomBytes(32).toString('base64')}`;
const AUTH_VALUE = `Bearer auth-${randomBytes(12).toString('hex')}`;
const AUTH_VALUE_2 = `Token second-${randomBytes(12).toString('hex')}`;

interface Answer {
  status: number;
  text: string;
  json: Record<string, unknown>;
}

describe('webhook registry over HTTP, PostgreSQL and NATS', () => {
  let svc: BootedService<NestExpressApplication>;
  let app: NestExpressApplication;
  let base: string;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const ns = new BusNamespace(uniqueName('webhooks'));
  const logs = new LogCapture();
  /** Every response body of the run, to prove no secret leaked into one. */
  const responses: Array<{ path: string; text: string }> = [];
  let tokenA: string;
  let tokenB: string;

  async function call(method: string, path: string, body?: unknown, token = tokenA): Promise<Answer> {
    const { status, text, json } = await svc.call<Record<string, unknown>>(method, path, body, { token });
    responses.push({ path, text });
    return { status, text, json };
  }

  async function streamEvents(): Promise<Array<{ subject: string; raw: string; event: CloudEvent }>> {
    const name = ns.streamName('WEBHOOKS');
    const count = (await jsm.streams.info(name)).state.messages;
    const consumer = await jetstream(nc).consumers.get(name);
    const out: Array<{ subject: string; raw: string; event: CloudEvent }> = [];
    for (let i = 0; i < count; i++) {
      const m = await consumer.next({ expires: 2000 });
      if (!m) break;
      const parsed = parseEvent(m.data);
      if (!parsed.ok) throw new Error(`invalid event on the bus: ${parsed.reason}`);
      out.push({ subject: m.subject, raw: m.string(), event: parsed.value });
    }
    return out;
  }

  const validBody = (extra: Record<string, unknown> = {}) => ({
    name: 'Reviews to ML',
    url: 'http://127.0.0.1:9/hook',
    eventTypes: ['item.status.changed', 'workflow.*'],
    filters: { toStatuses: ['done'] },
    authorization: AUTH_VALUE,
    headers: [{ name: 'X-Api-Key', value: 'key-ml-0123456789' }],
    timeoutMs: 1000,
    ...extra,
  });

  beforeAll(async () => {
    ({ nc, jsm } = await connectTestNats('webhooks-int'));
    svc = await bootService(platform, webhooksService, {
      namespace: ns.prefix,
      secretKeys: SECRET_KEYS,
      logLevel: 'debug',
      logDestination: logs,
      env: { TEST_PING_MARGIN_MS: '200' },
    });
    ({ app, url: base } = svc);
    tokenA = svc.token('proj-a');
    tokenB = svc.token('proj-b');
  });

  afterAll(async () => {
    await svc?.close();
    await deleteNamespace(jsm, ns.prefix);
    await nc?.drain();
  });

  let endpointId = '';
  let revealed = '';

  it('registers an endpoint, shows secrets only masked, and publishes the event with them sealed', async () => {
    const res = await call('POST', '/endpoints', validBody());
    expect(res.status).toBe(201);
    endpointId = res.json.id as string;
    expect(res.json).toMatchObject({
      projectId: 'proj-a',
      url: 'http://127.0.0.1:9/hook',
      eventTypes: ['item.status.changed', 'workflow.*'],
      includeAnnotations: true,
      active: true,
      authorization: { hint: `Bearer …${AUTH_VALUE.slice(-4)}` },
      signingSecret: { hint: expect.stringMatching(/^whsec_…/), previousExpiresAt: null },
      // Custom header values are write-only secrets, like the authorization.
      headers: [{ name: 'X-Api-Key', hint: '…6789' }],
    });
    expect(res.text).not.toContain('key-ml-0123456789');
    expect(res.text).not.toContain(AUTH_VALUE.slice(7));

    await until(async () => (await jsm.streams.info(ns.streamName('WEBHOOKS'))).state.messages >= 1, { message: 'registered event relayed' });
    const [first] = await streamEvents();
    expect(first.subject).toBe(ns.subject('webhook.endpoint.registered'));
    const data = first.event.data as Record<string, unknown>;
    expect(data).toMatchObject({ endpointId, projectId: 'proj-a', active: true, timeoutMs: 1000, filters: { toStatuses: ['done'] } });
    expect(first.event.projectid).toBe('proj-a');
    // Sealed with the platform key (the delivery service has the same keyring), bound to this
    // endpoint and field: nothing secret is on the bus in clear.
    expect(first.raw).not.toContain('key-ml-0123456789');
    const box = SecretBox.fromConfig(SECRET_KEYS);
    expect(openEndpointSecret(box, data.authorization as never, endpointId, 'authorization')).toBe(AUTH_VALUE);
    expect(openEndpointSecret(box, (data.signingSecrets as { current: never }).current, endpointId, 'signing')).toMatch(/^whsec_/);
    const [header] = data.headers as { name: string; sealed: never }[];
    expect(openEndpointSecret(box, header.sealed, endpointId, 'header:x-api-key')).toBe('key-ml-0123456789');
    // Bound: the same sealed value does not open as another field or for another endpoint.
    expect(() => openEndpointSecret(box, data.authorization as never, endpointId, 'header:x-api-key')).toThrow(/authentication/);
    expect(() => openEndpointSecret(box, header.sealed, 'ep-other', 'header:x-api-key')).toThrow(/authentication/);
  });

  it('reveals the current signing secret only through the explicit call, and only once', async () => {
    expect((await call('GET', `/endpoints/${endpointId}`)).json.signingSecret).toMatchObject({ revealed: false });
    const res = await call('POST', `/endpoints/${endpointId}/secret/reveal`);
    expect(res.status).toBe(200);
    revealed = res.json.secret as string;
    expect(revealed).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const get = await call('GET', `/endpoints/${endpointId}`);
    expect(get.json.signingSecret).toEqual({ hint: `whsec_…${revealed.slice(-4)}`, previousExpiresAt: null, revealed: true });
    const again = await call('POST', `/endpoints/${endpointId}/secret/reveal`);
    expect(again.status).toBe(409);
    expect(JSON.stringify(again.json)).not.toContain(revealed);
    await until(async () => (await streamEvents()).some((e) => e.event.type === 'webhook.endpoint.secret.revealed'), { message: 'reveal relayed' });
    const event = (await streamEvents()).find((e) => e.event.type === 'webhook.endpoint.secret.revealed')!;
    expect(JSON.stringify(event.event)).not.toContain(revealed);
  });

  it('rotates the secret keeping the old one for the grace period', async () => {
    const res = await call('POST', `/endpoints/${endpointId}/secret/rotate`, { graceSeconds: 3600 });
    expect(res.status).toBe(200);
    const sig = res.json.signingSecret as { previousExpiresAt: string };
    expect(Date.parse(sig.previousExpiresAt) - Date.now()).toBeGreaterThan(3500_000);
    const next = (await call('POST', `/endpoints/${endpointId}/secret/reveal`)).json.secret as string;
    expect(next).not.toBe(revealed);
    await until(async () => (await streamEvents()).some((e) => e.event.type === 'webhook.endpoint.secret.rotated'), { message: 'rotation relayed' });
    const rotated = (await streamEvents()).find((e) => e.event.type === 'webhook.endpoint.secret.rotated')!;
    const box = SecretBox.fromConfig(SECRET_KEYS);
    const set = (rotated.event.data as { signingSecrets: { current: never; previous: { secret: never } } }).signingSecrets;
    expect([openEndpointSecret(box, set.current, endpointId, 'signing'), openEndpointSecret(box, set.previous.secret, endpointId, 'signing')]).toEqual([next, revealed]);
    revealed = next;
  });

  it('updates, disables and enables, lists, and deletes', async () => {
    const upd = await call('PATCH', `/endpoints/${endpointId}`, { name: 'Renamed', authorization: AUTH_VALUE_2, eventTypes: ['item.*'] });
    expect(upd.status).toBe(200);
    expect(upd.json).toMatchObject({ name: 'Renamed', eventTypes: ['item.*'], authorization: { hint: `Token …${AUTH_VALUE_2.slice(-4)}` } });
    expect(upd.json.payloadFormat).toBe('standard');
    expect((await call('PATCH', `/endpoints/${endpointId}`, { payloadFormat: 'slack' })).json.payloadFormat).toBe('slack');
    const badFormat = await call('PATCH', `/endpoints/${endpointId}`, { payloadFormat: 'xml' });
    expect(badFormat.status).toBe(400);
    expect(JSON.stringify(badFormat.json)).toContain('payloadFormat');
    // Headers are replaced as a list; one named without a value keeps the value set before.
    const kept = await call('PATCH', `/endpoints/${endpointId}`, { headers: [{ name: 'X-Api-Key' }, { name: 'X-Team', value: 'vision' }] });
    expect(kept.status).toBe(200);
    expect(kept.json.headers).toEqual([
      { name: 'X-Api-Key', hint: '…6789' },
      { name: 'X-Team', hint: '…' },
    ]);
    const unchanged = await call('PATCH', `/endpoints/${endpointId}`, { headers: [{ name: 'X-Api-Key', value: 'key-ml-0123456789' }, { name: 'X-Team' }] });
    expect(unchanged.json.version).toBe(kept.json.version);
    const noValue = await call('PATCH', `/endpoints/${endpointId}`, { headers: [{ name: 'X-New' }] });
    expect(noValue.status).toBe(400);
    expect(JSON.stringify(noValue.json)).toContain('headers[0].value');
    expect((await call('POST', `/endpoints/${endpointId}/disable`, { reason: 'maintenance' })).json).toMatchObject({ active: false, disabledReason: 'maintenance' });
    expect((await call('POST', `/endpoints/${endpointId}/enable`)).json).toMatchObject({ active: true, disabledReason: null });
    const second = await call('POST', '/endpoints', validBody({ name: 'stage only', eventTypes: [], authorization: undefined }));
    expect(second.status).toBe(201);
    expect(second.json.authorization).toBeNull();
    const list = await call('GET', '/endpoints?limit=1');
    expect(list.status).toBe(200);
    expect((list.json.endpoints as Array<{ id: string }>).map((e) => e.id)).toEqual([endpointId]);
    const page2 = await call('GET', `/endpoints?limit=1&after=${endpointId}`);
    expect((page2.json.endpoints as Array<{ id: string }>).map((e) => e.id)).toEqual([second.json.id]);
    expect((await call('GET', '/endpoints', undefined, tokenB)).json.endpoints).toEqual([]);

    expect((await call('DELETE', `/endpoints/${second.json.id as string}`)).status).toBe(204);
    expect((await call('GET', `/endpoints/${second.json.id as string}`)).status).toBe(404);
    await until(async () => (await streamEvents()).some((e) => e.event.type === 'webhook.endpoint.deleted'), { message: 'deletion relayed' });
    const types = (await streamEvents()).map((e) => e.event.type);
    expect(types).toEqual(expect.arrayContaining(['webhook.endpoint.updated', 'webhook.endpoint.disabled', 'webhook.endpoint.enabled', 'webhook.endpoint.deleted']));
  });

  it("answers 404 for another project's endpoint, whatever the operation", async () => {
    for (const [method, path, body] of [
      ['GET', `/endpoints/${endpointId}`, undefined],
      ['PATCH', `/endpoints/${endpointId}`, { name: 'x' }],
      ['POST', `/endpoints/${endpointId}/disable`, { reason: 'x' }],
      ['POST', `/endpoints/${endpointId}/secret/reveal`, undefined],
      ['POST', `/endpoints/${endpointId}/secret/rotate`, {}],
      ['POST', `/endpoints/${endpointId}/test`, undefined],
      ['DELETE', `/endpoints/${endpointId}`, undefined],
    ] as const) {
      expect([method, path, (await call(method, path, body, tokenB)).status]).toEqual([method, path, 404]);
    }
  });

  it('refuses unsafe URLs with 422 and the reason', async () => {
    for (const [url, reason] of [
      ['http://10.0.0.5/hook', 'host is a private address 10.0.0.5'],
      ['http://0x0a000005/', 'host is a private address 10.0.0.5'],
      ['http://2886729729/', 'host is a private address 172.16.0.1'],
      ['http://169.254.169.254/latest/meta-data', 'link-local address 169.254.169.254'],
      ['http://[::ffff:192.168.0.1]/', 'private address'],
      ['http://localhost/', 'loopback name'],
      ['https://user:pw@example.com/', 'must not contain credentials'],
      ['ftp://example.com/', 'only http and https'],
    ]) {
      const res = await call('POST', '/endpoints', validBody({ url }));
      expect([url, res.status]).toEqual([url, 422]);
      expect(res.json.error).toBe('UNSAFE_URL');
      expect(res.json.message).toContain(reason);
    }
    const patch = await call('PATCH', `/endpoints/${endpointId}`, { url: 'http://192.168.1.10/' });
    expect(patch.status).toBe(422);
    // Allow-listed (127.0.0.1 here), and stored in the normalised form the delivery service will dial.
    const numeric = await call('POST', '/endpoints', validBody({ url: 'http://2130706433:9/x' }));
    expect([numeric.status, numeric.json.url]).toEqual([201, 'http://127.0.0.1:9/x']);
  });

  it('refuses unknown event types listing the known ones', async () => {
    const res = await call('POST', '/endpoints', validBody({ eventTypes: ['item.status.chaged', 'item.*'] }));
    expect(res.status).toBe(400);
    expect(res.json.message).toContain('item.status.chaged');
    expect(res.json.message).toContain('workflow.stage.entered');
    expect(res.json.details).toMatchObject({ field: 'eventTypes', unknown: ['item.status.chaged'] });
  });

  it('answers 400 naming the field for invalid bodies', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ name: '' }, 'name'],
      [{ url: 'not a url' }, 'url'],
      [{ timeoutMs: 10 }, 'timeoutMs'],
      [{ includeAnnotations: 'yes' }, 'includeAnnotations'],
      [{ filters: { toStatuses: ['finished'] } }, 'filters.toStatuses'],
      [{ headers: [{ name: 'Authorization', value: 'x' }] }, 'headers'],
      // Hop-by-hop headers change how the request travels (expect: 100-continue stalls it).
      ...['Expect', 'Upgrade', 'Keep-Alive', 'TE', 'Trailer', 'Proxy-Authorization'].map((name): [Record<string, unknown>, string] => [
        { headers: [{ name, value: 'x' }] },
        'headers',
      ]),
      [{ headers: [{ name: 'X-A', value: 'a\r\nInjected: 1' }] }, 'headers[0].value'],
      [{ headers: Array.from({ length: 11 }, (_, i) => ({ name: `X-${i}`, value: 'v' })) }, 'headers'],
      [{ retryPolicy: { maxAttempts: 0 } }, 'retryPolicy.maxAttempts'],
      [{ authorization: 'a\nb' }, 'authorization'],
      [{ surprise: true }, 'surprise'],
    ];
    for (const [patch, field] of cases) {
      const res = await call('POST', '/endpoints', validBody(patch));
      expect([field, res.status]).toEqual([field, 400]);
      expect(JSON.stringify(res.json.fields ?? res.json.message)).toContain(field);
    }
    expect((await call('POST', `/endpoints/${endpointId}/secret/rotate`, { graceSeconds: -1 })).status).toBe(400);
    expect((await call('GET', '/endpoints?limit=0')).status).toBe(400);
    expect((await call('GET', '/endpoints/bad%20id')).status).toBe(400);
  });

  it('answers 503 with a clear message when no delivery service answers the test ping', async () => {
    const res = await call('POST', `/endpoints/${endpointId}/test`);
    expect(res.status).toBe(503);
    expect(res.json.error).toBe('DELIVERY_UNAVAILABLE');
    expect(res.json.message).toMatch(/delivery service did not answer/);
  });

  it('answers the endpoint lookup other services ask over the bus, scoped to the project', async () => {
    const created = await call('POST', '/endpoints', validBody({ name: 'looked up' }));
    const id = created.json.id as string;
    await call('POST', `/endpoints/${id}/disable`, { reason: 'paused' });
    expect(await rpcRequest(nc, ns, WebhooksRpc.endpoint, { projectId: 'proj-a', endpointId: id }, { timeoutMs: 2000 })).toEqual({
      ok: true,
      endpoint: { id, active: false, disabledReason: 'paused' },
    });
    expect(await rpcRequest(nc, ns, WebhooksRpc.endpoint, { projectId: 'proj-b', endpointId: id }, { timeoutMs: 2000 })).toMatchObject({ ok: false, code: 'not_found' });
    expect(await rpcRequest(nc, ns, WebhooksRpc.endpoint, { projectId: 'proj-a', endpointId: '' }, { timeoutMs: 2000 })).toMatchObject({ ok: false, code: 'invalid_request' });
  });

  it('passes the test ping to the delivery service and returns its answer', async () => {
    const seen: unknown[] = [];
    const sub = serveRpc(nc, ns, DeliveryRpc.testPing, 'delivery', (req) => {
      seen.push(req);
      return Promise.resolve({ ok: true, statusCode: 204, latencyMs: 12, responseHeaders: { server: 'fake' }, responseBody: '', error: null, webhookId: 'msg_1' });
    });
    try {
      await nc.flush();
      const res = await call('POST', `/endpoints/${endpointId}/test`);
      expect(res.status).toBe(200);
      expect(res.json).toEqual({ statusCode: 204, latencyMs: 12, responseHeaders: { server: 'fake' }, responseBody: '', error: null, webhookId: 'msg_1' });
      expect(seen).toEqual([{ projectId: 'proj-a', endpointId }]);
    } finally {
      sub.unsubscribe();
    }
  });

  it('rebuilds the endpoint read model from the events to the same rows', async () => {
    const dataSource = app.get(DataSource);
    const snapshot = () => dataSource.query<unknown[]>(`SELECT endpoint_id, project_id, state, version, created_at, updated_at FROM webhook_endpoints ORDER BY endpoint_id`);
    const before = await snapshot();
    expect(before.length).toBeGreaterThanOrEqual(2);
    await app.get(EventStore).rebuildProjection('webhook_endpoints');
    expect(await snapshot()).toEqual(before);
  });

  it('documents every operation in OpenAPI', async () => {
    const res = await fetch(`${base}/docs-json`);
    const doc = (await res.json()) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/endpoints',
        '/endpoints/{id}',
        '/endpoints/{id}/disable',
        '/endpoints/{id}/enable',
        '/endpoints/{id}/secret/rotate',
        '/endpoints/{id}/secret/reveal',
        '/endpoints/{id}/test',
      ]),
    );
    expect(Object.keys(doc.paths['/endpoints/{id}'])).toEqual(expect.arrayContaining(['get', 'patch', 'delete']));
  });

  it('counts endpoint commands in /metrics', async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toMatch(/webhooks_endpoint_commands_total\{[^}]*command="register"[^}]*outcome="applied"[^}]*\} [1-9]/);
    expect(text).toMatch(/webhooks_endpoint_commands_total\{[^}]*command="disable"[^}]*outcome="refused"[^}]*\} [1-9]/);
    expect(text).toMatch(/webhooks_signing_secret_reveals_total\S* [1-9]/);
  });

  it('never let a secret out in clear: not in responses but the reveals, not on the bus, not in the logs', async () => {
    const box = SecretBox.fromConfig(SECRET_KEYS);
    const events = await streamEvents();
    // Every signing secret that ever existed, opened from the events themselves.
    const signing = new Set<string>();
    const headerValues = new Set<string>();
    for (const e of events) {
      const d = e.event.data as { endpointId: string; signingSecrets?: { current: never; previous: { secret: never } | null }; headers?: { name: string; sealed: never }[] };
      if (d.signingSecrets) {
        signing.add(openEndpointSecret(box, d.signingSecrets.current, d.endpointId, 'signing'));
        if (d.signingSecrets.previous) signing.add(openEndpointSecret(box, d.signingSecrets.previous.secret, d.endpointId, 'signing'));
      }
      for (const h of d.headers ?? []) headerValues.add(openEndpointSecret(box, h.sealed, d.endpointId, customHeaderField(h.name)));
    }
    expect(signing.size).toBeGreaterThanOrEqual(3);
    expect([...headerValues]).toEqual(expect.arrayContaining(['key-ml-0123456789', 'vision']));
    const secrets = [AUTH_VALUE, AUTH_VALUE_2, ...signing, ...headerValues].flatMap((s) => [s, s.replace(/^(Bearer|Token) /, ''), s.replace(/^whsec_/, '')]);
    const notReveal = responses.filter((r) => !r.path.endsWith('/secret/reveal'));
    expect(notReveal.length).toBeGreaterThan(20);
    for (const s of secrets) {
      for (const r of notReveal) expect(r.text.includes(s) ? `${r.path} leaks ${s.slice(0, 8)}…` : 'clean').toBe('clean');
      for (const e of events) expect(e.raw.includes(s) ? `${e.subject} leaks` : 'clean').toBe('clean');
      expect(logs.text().includes(s) ? 'logs leak' : 'clean').toBe('clean');
    }
    expect(logs.lines.length).toBeGreaterThan(10);
    expect(logs.find((l) => l.msg === 'signing secret revealed')).toMatchObject({ endpointId });
  });
});
