import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { mintProjectToken } from '@stagehook/platform';
import { testEnv, TestReceiver, until } from '@stagehook/testing';
import { randomBytes } from 'node:crypto';
import { describeOp, fillPath, listOperations, type Operation } from './support/openapi.js';
import { Platform, type ServiceName } from './support/platform.js';

type Json = Record<string, unknown>;
interface Delivery {
  id: string;
  status: string;
}

/**
 * Who gets in and what leaks: every route without a token or with an expired or forged one, every
 * route with another project's ids, the secrets in every response, log line and bus message of the
 * run, and SSRF at send time (redirects to private addresses, a name re-pointed at loopback).
 */
describe('security', () => {
  let platform: Platform;
  let receiver: TestReceiver;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let ops: Operation[];
  const owner = 'sec-owner';
  const intruder = 'sec-intruder';
  /** Every response body of the run except the explicit reveal, checked for secrets at the end. */
  const responses: string[] = [];
  const authValue = `Bearer sec-${randomBytes(24).toString('hex')}`;
  let signingSecret: string;
  const ids: Record<string, string> = {};

  async function raw(
    service: ServiceName,
    method: string,
    path: string,
    opts: { token?: string; body?: unknown; keep?: boolean } = {},
  ): Promise<{ status: number; body: Json; text: string }> {
    const headers: Record<string, string> = {};
    if (opts.token !== undefined) headers.authorization = opts.token;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${platform.url(service)}${path}`, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
    const text = await res.text();
    if (opts.keep !== false) responses.push(`${method} ${service}${path}: ${text}`);
    let body: Json = {};
    try {
      body = text ? (JSON.parse(text) as Json) : {};
    } catch {
      /* metrics and docs are not JSON */
    }
    return { status: res.status, body, text };
  }

  const as = (projectId: string) => `Bearer ${platform.token(projectId)}`;
  async function ok<T = Json>(service: ServiceName, method: string, path: string, body?: unknown): Promise<T> {
    const res = await raw(service, method, path, { token: as(owner), body });
    if (res.status >= 300) throw new Error(`${method} ${service}${path} → ${res.status} ${res.text}`);
    return res.body as T;
  }

  beforeAll(async () => {
    receiver = await TestReceiver.start();
    platform = await Platform.start({
      env: {
        // The registry accepts `localhost` by name (as if it resolved to a public address then);
        // delivery allows only the literal 127.0.0.1 until the rebinding test narrows it further.
        webhooks: { SSRF_ALLOW_LIST: '127.0.0.1,localhost' },
        delivery: { RETRY_SCHEDULE_MS: '0,100,200', STAGE_RETRY_SCHEDULE_MS: '0,100', DISPATCH_POLL_MS: '50' },
      },
    });
    nc = await connect({ servers: testEnv.natsUrl });
    jsm = await jetstreamManager(nc);
    ops = await listOperations(platform);

    const endpoint = await ok<{ id: string }>('webhooks', 'POST', '/endpoints', {
      name: 'sec',
      url: `${receiver.url}/sec`,
      authorization: authValue,
      eventTypes: ['item.status.changed', 'workflow.stage.entered'],
    });
    const reveal = await raw('webhooks', 'POST', `/endpoints/${endpoint.id}/secret/reveal`, { token: as(owner), keep: false });
    signingSecret = (reveal.body as { secret: string }).secret;
    const wf = await ok<{ workflowId: string; stages: { id: string }[] }>('workflow', 'POST', '/workflows/template', { name: 'sec', endpointId: endpoint.id, maxAttempts: 2 });
    const ds = await ok<{ id: string }>('items', 'POST', '/datasets', { name: 'sec' });
    const { items } = await ok<{ items: { id: string }[] }>('items', 'POST', '/items', { datasetId: ds.id, items: [{ name: 's.jpg', width: 10, height: 10 }] });
    const { annotation } = await ok<{ annotation: { id: string } }>('items', 'POST', `/items/${items[0].id}/annotations`, { name: 'a', keypoint: { x: 1, y: 1 } });
    await ok('items', 'POST', `/items/${items[0].id}/tags`, { name: 'secret-tag' }).catch(() => undefined);
    await ok('workflow', 'POST', `/workflows/${wf.workflowId}/items`, { itemIds: [items[0].id] });
    await until(async () => (await raw('delivery', 'GET', `/endpoints/${endpoint.id}/circuit`, { token: as(owner) })).status === 200, {
      timeoutMs: 30_000,
      message: 'delivery knows the endpoint',
    });
    await ok('items', 'POST', `/items/${items[0].id}/status`, { to: 'in_progress', changedBy: 'owner@example.com' });
    await receiver.waitFor(1, '/sec', 30_000);
    const { data } = await ok<{ data: Delivery[] }>('delivery', 'GET', `/deliveries?itemId=${items[0].id}`);
    Object.assign(ids, {
      endpoint: endpoint.id,
      workflow: wf.workflowId,
      stage: wf.stages[0].id,
      dataset: ds.id,
      item: items[0].id,
      annotation: annotation.id,
      delivery: data[0].id,
    });
  });

  afterAll(async () => {
    await nc?.drain();
    await platform?.stop();
    await receiver?.close();
  });

  /** The owner's real ids for a route's parameters, by service and parameter name. */
  function ownerParams(op: Operation): Record<string, string> {
    const byName: Record<string, string> = {
      itemId: ids.item,
      datasetId: ids.dataset,
      annotationId: ids.annotation,
      stageId: ids.stage,
      command: 'submit',
      name: 'secret-tag',
      id: op.service === 'workflow' ? ids.workflow : op.service === 'delivery' && op.path.startsWith('/deliveries') ? ids.delivery : ids.endpoint,
    };
    return Object.fromEntries(op.pathParams.map((p) => [p, byName[p] ?? 'x']));
  }

  it('every protected route answers 401 without a token, and with an expired, forged, malformed or alg=none token', async () => {
    const expired = platform.token(owner, { ttlSeconds: 60, now: new Date(Date.now() - 3_600_000) });
    const forged = mintProjectToken({ projectId: owner, secret: randomBytes(32).toString('base64url'), ttlSeconds: 3600 });
    const [h, c] = platform.token(owner).split('.');
    const header = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(h, 'base64url').toString()), alg: 'none' })).toString('base64url');
    const algNone = `${header}.${c}.`;
    const tampered = (() => {
      const claims = JSON.parse(Buffer.from(c, 'base64url').toString()) as Json;
      const [h2, , s2] = platform.token(owner).split('.');
      return `${h2}.${Buffer.from(JSON.stringify({ ...claims, sub: intruder })).toString('base64url')}.${s2}`;
    })();
    const tokens: Record<string, string | undefined> = {
      none: undefined,
      expired: `Bearer ${expired}`,
      forged: `Bearer ${forged}`,
      algNone: `Bearer ${algNone}`,
      tampered: `Bearer ${tampered}`,
      garbage: 'Bearer abc.def.ghi',
      basic: 'Basic dXNlcjpwYXNz',
      empty: 'Bearer ',
    };
    const wrong: string[] = [];
    let tried = 0;
    const secured = ops.filter((o) => o.secured);
    expect(secured.length).toBeGreaterThan(20);
    for (const op of secured) {
      for (const [kind, token] of Object.entries(tokens)) {
        const res = await raw(op.service, op.method, fillPath(op.path, ownerParams(op)), { token, body: op.method === 'GET' || op.method === 'DELETE' ? undefined : {} });
        tried++;
        if (res.status !== 401) wrong.push(`${describeOp(op)} with ${kind} token → ${res.status}`);
      }
    }
    // Health, metrics and the docs stay open.
    for (const op of ops.filter((o) => !o.secured)) {
      const res = await raw(op.service, op.method, fillPath(op.path, {}));
      if (res.status === 401) wrong.push(`${describeOp(op)} is public but answered 401`);
    }
    console.log(`auth: ${tried} requests over ${secured.length} protected operations; ${ops.length - secured.length} public`);
    expect(wrong).toEqual([]);
  });

  it("every route with another project's ids answers 404 and changes nothing of the owner's", async () => {
    const before = await Promise.all([
      ok('webhooks', 'GET', `/endpoints/${ids.endpoint}`),
      ok('workflow', 'GET', `/workflows/${ids.workflow}`),
      ok('items', 'GET', `/items/${ids.item}`),
      ok('delivery', 'GET', `/deliveries/${ids.delivery}`),
    ]);
    const wrong: string[] = [];
    const withParams = ops.filter((o) => o.secured && o.pathParams.length > 0);
    for (const op of withParams) {
      const res = await raw(op.service, op.method, fillPath(op.path, ownerParams(op)), {
        token: as(intruder),
        body: op.method === 'GET' || op.method === 'DELETE' ? undefined : {},
      });
      // A body the route would reject anyway may be refused before the lookup (400); what must
      // never happen is a success, or an answer that tells the resource exists (403, 409, 422).
      const acceptable = res.status === 404 || (res.status === 400 && op.method !== 'GET' && op.method !== 'DELETE');
      if (!acceptable) wrong.push(`${describeOp(op)} as another project → ${res.status} ${res.text.slice(0, 200)}`);
    }
    // Lists show the intruder nothing of the owner's.
    for (const op of ops.filter((o) => o.secured && o.method === 'GET' && o.pathParams.length === 0)) {
      const res = await raw(op.service, 'GET', op.path, { token: as(intruder) });
      for (const id of Object.values(ids)) if (id.length > 8 && res.text.includes(id)) wrong.push(`${describeOp(op)} lists the owner's ${id}`);
    }
    console.log(`cross-project: ${withParams.length} operations with ids tried as another project`);
    expect(wrong).toEqual([]);
    const after = await Promise.all([
      ok('webhooks', 'GET', `/endpoints/${ids.endpoint}`),
      ok('workflow', 'GET', `/workflows/${ids.workflow}`),
      ok('items', 'GET', `/items/${ids.item}`),
      ok('delivery', 'GET', `/deliveries/${ids.delivery}`),
    ]);
    expect(after).toEqual(before);
  });

  it('does not follow a redirect to a private address: the attempt counts as a failure', async () => {
    receiver.setDefault({ kind: 'status', status: 302, headers: { location: `${receiver.url}/followed` } }, '/redirect');
    receiver.setDefault({ kind: 'status', status: 302, headers: { location: 'http://169.254.169.254/latest/meta-data/' } }, '/redirect-metadata');
    for (const path of ['/redirect', '/redirect-metadata']) {
      const ep = await ok<{ id: string }>('webhooks', 'POST', '/endpoints', { name: path, url: `${receiver.url}${path}`, eventTypes: ['item.status.changed'] });
      await until(async () => (await raw('delivery', 'GET', `/endpoints/${ep.id}/circuit`, { token: as(owner) })).status === 200, {
        timeoutMs: 30_000,
        message: 'delivery knows the endpoint',
      });
      await ok('webhooks', 'POST', `/endpoints/${ep.id}/disable`, {}).catch(() => undefined);
      await ok('webhooks', 'POST', `/endpoints/${ep.id}/enable`, {}).catch(() => undefined);
      const { items } = await ok<{ items: { id: string }[] }>('items', 'POST', '/items', { datasetId: ids.dataset, items: [{ name: `${path}.jpg`, width: 1, height: 1 }] });
      await ok('items', 'POST', `/items/${items[0].id}/status`, { to: 'in_progress', changedBy: 'o@example.com' });
      await receiver.waitFor(1, path, 30_000);
      const mine = await until(
        async () => {
          const { data } = await ok<{ data: (Delivery & { endpointId?: string })[] }>('delivery', 'GET', `/deliveries?itemId=${items[0].id}&endpointId=${ep.id}`);
          return data.length > 0 ? data[0] : undefined;
        },
        { timeoutMs: 30_000, message: 'the delivery exists' },
      );
      const attempts = await until(
        async () => {
          const res = await ok<{ data?: { statusCode?: number | null; outcome?: string; error?: string | null }[] }>('delivery', 'GET', `/deliveries/${mine.id}/attempts`);
          const list = Array.isArray(res) ? (res as unknown[]) : (res.data ?? []);
          return list.length > 0 ? list : undefined;
        },
        { timeoutMs: 30_000, message: 'an attempt is recorded' },
      );
      const d = await ok<Delivery>('delivery', 'GET', `/deliveries/${mine.id}`);
      expect(d.status).not.toBe('delivered');
      expect(JSON.stringify(attempts)).toMatch(/302|redirect/i);
    }
    expect(receiver.received('/followed')).toHaveLength(0);
    receiver.reset();
  });

  it('refuses at send time a name that the registry accepted but that now points at loopback (DNS rebinding)', async () => {
    // `localhost` passed registration (allow-listed there, standing in for a name that resolved to
    // a public address); delivery, restarted without any allow-list, checks the address it dials.
    const ep = await ok<{ id: string }>('webhooks', 'POST', '/endpoints', { name: 'rebind', url: `http://localhost:${receiver.port}/rebind`, eventTypes: ['item.status.changed'] });
    await platform.restart('delivery', { SSRF_ALLOW_LIST: '' });
    await until(async () => (await raw('delivery', 'GET', `/endpoints/${ep.id}/circuit`, { token: as(owner) })).status === 200, {
      timeoutMs: 30_000,
      message: 'delivery knows the endpoint',
    });
    const { items } = await ok<{ items: { id: string }[] }>('items', 'POST', '/items', { datasetId: ids.dataset, items: [{ name: 'rebind.jpg', width: 1, height: 1 }] });
    await ok('items', 'POST', `/items/${items[0].id}/status`, { to: 'in_progress', changedBy: 'o@example.com' });
    const d = await until(
      async () => {
        const { data } = await ok<{ data: Delivery[] }>('delivery', 'GET', `/deliveries?itemId=${items[0].id}&endpointId=${ep.id}`);
        const attempts = data[0] ? await ok<unknown>('delivery', 'GET', `/deliveries/${data[0].id}/attempts`) : undefined;
        return data[0] && JSON.stringify(attempts).length > 20 && /ssrf|not allowed|loopback|blocked|private/i.test(JSON.stringify(attempts))
          ? { d: data[0], attempts }
          : undefined;
      },
      { timeoutMs: 30_000, message: 'the attempt is refused for its address' },
    );
    expect(d.d.status).not.toBe('delivered');
    expect(receiver.received('/rebind')).toHaveLength(0);
  });

  it('no secret appears in any response but the reveal, in any log line, or in any message on the bus', async () => {
    const needles = [
      authValue.slice('Bearer '.length),
      signingSecret.slice('whsec_'.length, -4),
      Buffer.from(signingSecret.slice('whsec_'.length), 'base64').toString('hex').slice(0, 24),
    ];
    expect(needles.every((n) => n.length >= 16)).toBe(true);
    const leaks: string[] = [];
    const scan = (where: string, text: string) => {
      for (const n of needles) if (text.includes(n)) leaks.push(`${where}: ${text.slice(0, 200)}`);
    };
    responses.forEach((r) => scan('response', r));
    platform.logs().forEach((l) => scan('log', l));
    let messages = 0;
    for (const key of ['WORKFLOW', 'ITEMS', 'WEBHOOKS', 'DELIVERY', 'DEADLETTER']) {
      const stream = `${platform.namespace}_${key}`;
      const info = await jsm.streams.info(stream).catch(() => undefined);
      if (!info || info.state.messages === 0) continue;
      for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
        const m = await jsm.streams.getMessage(stream, { seq }).catch(() => undefined);
        if (!m) continue;
        messages++;
        scan(`bus ${m.subject}`, new TextDecoder().decode(m.data));
        if (m.header) for (const k of m.header.keys()) scan(`bus header ${m.subject}`, m.header.values(k).join(','));
      }
    }
    // The receiver did get them: the check would find a leak if there were one.
    const sent = receiver.received('/sec')[0];
    expect(sent.headers.authorization).toBe(authValue);
    console.log(`secrets: scanned ${responses.length} responses, ${platform.logs().length} log lines, ${messages} bus messages`);
    expect(leaks).toEqual([]);
  });
});
