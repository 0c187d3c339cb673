import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { testEnv, TestReceiver, until } from '@stagehook/testing';
import fc from 'fast-check';
import { describeOp, fillPath, listOperations, type Operation } from './support/openapi.js';
import { Platform, type ServiceName } from './support/platform.js';

type Json = Record<string, unknown>;

/** Random cases per operation on top of the fixed malicious ones; keeps the file well under a minute. */
const RUNS_PER_OPERATION = Number(process.env.HOSTILE_RUNS ?? 8);

const MALICIOUS_STRINGS = [
  '',
  ' ',
  '__proto__',
  'constructor',
  'prototype',
  "' OR 1=1 --",
  '"; DROP TABLE events; --',
  '../../../../etc/passwd',
  '%00',
  '\u0000',
  '\ud800',
  '\udfff',
  '\u202e\u0041\u0042',
  '\ufeff',
  'e\u0301\u0301\u0301',
  '😀'.repeat(300),
  'ﬀ',
  '${jndi:ldap://x}',
  '<script>alert(1)</script>',
  'a'.repeat(10_000),
  '00000000-0000-0000-0000-000000000000',
  'NaN',
  '-1',
  '1e309',
  '9'.repeat(400),
];

const HUGE_NUMBERS = [1e308, -1e308, 2 ** 53 + 2, -(2 ** 63), 5e-324, -0, 0.1, 1.5];

/** Raw bodies no JSON.stringify produces: invalid JSON, numbers that parse to Infinity, deep nesting, own __proto__ keys. */
const RAW_BODIES: string[] = [
  '{',
  '{"a":',
  'null',
  '[]',
  '"just a string"',
  '1e999',
  '{"n":1e999,"m":-1e999}',
  '{"__proto__":{"polluted":"yes","isAdmin":true},"constructor":{"prototype":{"polluted":"yes"}}}',
  '{"name":{"__proto__":{"polluted":"yes"}},"items":[{"__proto__":{"polluted":"yes"}}]}',
  `${'['.repeat(20_000)}${']'.repeat(20_000)}`,
  `${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`,
  `{"name":"${'x'.repeat(2_000_000)}"}`,
  '\u0000\u0001\u0002',
];

/** A request as the property sends it. */
interface Case {
  params: Record<string, string>;
  query: [string, string][];
  body: { raw: string; contentType: string | undefined } | undefined;
}

function nest(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { a: v };
  return v;
}

/**
 * Every HTTP operation of the four services (from their OpenAPI documents) under random and
 * malicious input, and every NATS consumer under malformed and oversized messages: no 5xx,
 * nothing written by a rejected request, every bad message dead-lettered with a reason, and
 * the consumers keep handling valid events afterwards.
 */
describe('hostile input', () => {
  let platform: Platform;
  let receiver: TestReceiver;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let ops: Operation[];
  const projectId = 'hostile-project';
  let call: ReturnType<Platform['client']>;
  const realIds: string[] = [];
  const tally = new Map<string, Map<string, number>>();
  const failures: string[] = [];

  beforeAll(async () => {
    receiver = await TestReceiver.start();
    platform = await Platform.start({ env: { delivery: { STAGE_RETRY_SCHEDULE_MS: '0,100', DISPATCH_POLL_MS: '50' } } });
    call = platform.client(projectId);
    nc = await connect({ servers: testEnv.natsUrl });
    jsm = await jetstreamManager(nc);
    ops = await listOperations(platform);

    // Real resources, so some cases get past the 404 and into validation of the body.
    const ok = async <T = Json>(service: ServiceName, method: string, path: string, body?: unknown): Promise<T> => {
      const res = await call<T>(service, method, path, body);
      if (res.status >= 300) throw new Error(`${method} ${service}${path} → ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    };
    const endpoint = await ok<{ id: string }>('webhooks', 'POST', '/endpoints', { name: 'hostile', url: `${receiver.url}/stage` });
    const wf = await ok<{ workflowId: string; stages: { id: string }[] }>('workflow', 'POST', '/workflows/template', { name: 'H', endpointId: endpoint.id, maxAttempts: 2 });
    const ds = await ok<{ id: string }>('items', 'POST', '/datasets', { name: 'hostile' });
    const { items } = await ok<{ items: { id: string }[] }>('items', 'POST', '/items', { datasetId: ds.id, items: [{ name: 'h.jpg', width: 10, height: 10 }] });
    await ok('workflow', 'POST', `/workflows/${wf.workflowId}/items`, { itemIds: [items[0].id] });
    realIds.push(endpoint.id, wf.workflowId, ds.id, items[0].id, ...wf.stages.map((s) => s.id));
  });

  afterAll(async () => {
    await nc?.drain();
    await platform?.stop();
    await receiver?.close();
  });

  /** What a project can read of one service: every parameterless GET plus the fixtures. */
  async function snapshot(service: ServiceName): Promise<string> {
    const reads = ops.filter((o) => o.service === service && o.method === 'GET' && o.pathParams.length === 0 && o.secured);
    // All at once: a case's before and after are each one instant's view, taken in one round trip's time.
    const parts = await Promise.all(
      reads.map(async (o) => {
        const res = await call(service, 'GET', o.path);
        return `${o.path} ${res.status} ${JSON.stringify(res.body)}`;
      }),
    );
    return parts.join('\n');
  }

  async function send(op: Operation, c: Case): Promise<number> {
    const qs = new URLSearchParams(c.query).toString();
    const url = `${platform.url(op.service)}${fillPath(op.path, c.params)}${qs ? `?${qs}` : ''}`;
    const headers: Record<string, string> = { authorization: `Bearer ${platform.token(projectId)}` };
    if (c.body?.contentType) headers['content-type'] = c.body.contentType;
    try {
      const res = await fetch(url, { method: op.method, headers, body: op.method === 'GET' || op.method === 'DELETE' ? undefined : c.body?.raw });
      await res.arrayBuffer();
      return res.status;
    } catch (err) {
      // The server closing the connection on an oversized request is a refusal, not a crash;
      // a process that died shows in the health check after the run.
      if (err instanceof Error && err.message.includes('fetch failed')) return 0;
      throw err;
    }
  }

  function record(op: Operation, status: number, c: Case): void {
    const key = describeOp(op);
    const byStatus = tally.get(key) ?? new Map<string, number>();
    byStatus.set(String(status), (byStatus.get(String(status)) ?? 0) + 1);
    tally.set(key, byStatus);
    if (status >= 500) failures.push(`${key} → ${status} for ${JSON.stringify(c).slice(0, 300)}`);
  }

  async function attempt(op: Operation, c: Case): Promise<void> {
    const mutating = op.method !== 'GET';
    const before = mutating ? await snapshot(op.service) : '';
    const status = await send(op, c);
    record(op, status, c);
    if (mutating && status >= 400 && status < 500) {
      const after = await snapshot(op.service);
      if (after !== before) failures.push(`${describeOp(op)} → ${status} yet changed what the project reads: ${JSON.stringify(c).slice(0, 300)}`);
    }
  }

  const stringArb = fc.oneof(fc.constantFrom(...MALICIOUS_STRINGS), fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ maxLength: 10 }));
  const valueArb: fc.Arbitrary<unknown> = fc.oneof(
    { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
    { weight: 2, arbitrary: stringArb },
    { weight: 1, arbitrary: fc.constantFrom(...HUGE_NUMBERS) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 300 }).map(nest) },
    { weight: 1, arbitrary: fc.constantFrom(null, true, false, [], {}, [null], ['a', 1, {}]) },
  );

  function caseArb(op: Operation): fc.Arbitrary<Case> {
    const keys = [...(op.bodyProperties ?? []), '__proto__', 'constructor', 'prototype', 'extra'];
    const bodyObject = fc.dictionary(fc.constantFrom(...keys), valueArb, { maxKeys: keys.length });
    const body = fc.oneof(
      { weight: 4, arbitrary: bodyObject.map((o) => ({ raw: JSON.stringify(o), contentType: 'application/json' })) },
      { weight: 1, arbitrary: valueArb.map((v) => ({ raw: JSON.stringify(v) ?? 'null', contentType: 'application/json' })) },
      { weight: 1, arbitrary: fc.constantFrom(...RAW_BODIES.slice(0, 10)).map((raw) => ({ raw, contentType: 'application/json' })) },
      {
        weight: 1,
        arbitrary: fc
          .tuple(bodyObject, fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/xml'))
          .map(([o, contentType]) => ({ raw: JSON.stringify(o), contentType })),
      },
      { weight: 1, arbitrary: fc.constant(undefined) },
    );
    const param = fc.oneof(
      fc.constantFrom(...realIds),
      stringArb.filter((s) => s.length > 0),
      fc.uuid(),
    );
    const params = fc.record(Object.fromEntries(op.pathParams.map((p) => [p, param])));
    const qKeys = [...op.queryParams, '__proto__', 'constructor[prototype][x]', 'limit'];
    const query = fc.array(fc.tuple(fc.constantFrom(...qKeys), fc.oneof(stringArb, fc.constantFrom(...HUGE_NUMBERS).map(String))), { maxLength: 4 });
    return fc.record({ params, query, body });
  }

  it('no operation answers 5xx to random or malicious input, and a rejected request writes nothing', async () => {
    expect(ops.length).toBeGreaterThan(20);
    const started = Date.now();
    for (const op of ops) {
      // Fixed cases first: each raw body, a huge string and deep nesting in every field.
      const anyParam = (v: string) => Object.fromEntries(op.pathParams.map((p) => [p, v]));
      const fixed: Case[] = [
        ...RAW_BODIES.map((raw) => ({ params: anyParam(realIds[0]), query: [] as [string, string][], body: { raw, contentType: 'application/json' } })),
        ...(op.bodyProperties ?? []).flatMap((k) => [
          { params: anyParam(realIds[0]), query: [] as [string, string][], body: { raw: JSON.stringify({ [k]: 'x'.repeat(200_000) }), contentType: 'application/json' } },
          { params: anyParam(realIds[0]), query: [] as [string, string][], body: { raw: JSON.stringify({ [k]: nest(2_000) }), contentType: 'application/json' } },
        ]),
        { params: anyParam('x'.repeat(5_000)), query: [['q', 'y'.repeat(6_000)]], body: undefined },
      ];
      for (const c of fixed) await attempt(op, c);
      await fc.assert(
        fc.asyncProperty(caseArb(op), async (c) => {
          await attempt(op, c);
        }),
        { numRuns: RUNS_PER_OPERATION },
      );
    }

    const rows = [...tally].map(([op, byStatus]) => ({ op, cases: [...byStatus.values()].reduce((a, b) => a + b, 0), statuses: Object.fromEntries(byStatus) }));
    const total = rows.reduce((a, r) => a + r.cases, 0);
    console.log(
      `hostile HTTP: ${total} cases over ${rows.length} operations in ${Date.now() - started} ms, ${failures.length} failures\n` +
        rows.map((r) => `${r.cases.toString().padStart(5)}  ${r.op}  ${JSON.stringify(r.statuses)}`).join('\n'),
    );
    if (failures.length > 0) {
      // What the services logged at error level, to see the cause of a 5xx a random case found.
      for (const service of ['workflow', 'items', 'webhooks', 'delivery'] as const) {
        const errors = platform.logs(service).filter((l) => l.includes('"level":"error"') || l.includes('"level":50'));
        if (errors.length > 0)
          console.log(
            `${service} error logs:\n${errors
              .slice(-5)
              .map((l) => l.slice(0, 2000))
              .join('\n')}`,
          );
      }
    }
    expect(failures).toEqual([]);

    // The services are still up, and no pollution leaked into what they answer.
    for (const service of ['workflow', 'items', 'webhooks', 'delivery'] as const) {
      expect((await fetch(`${platform.url(service)}/health`)).status).toBe(200);
      expect(await snapshot(service)).not.toMatch(/polluted|isAdmin/);
    }
  }, 600_000); // about a minute alone; a loaded 2-core machine took over 4 (jest's e2e default is 3)

  it('malformed and oversized messages on every consumed subject are dead-lettered with a reason, and the consumers keep going', async () => {
    const ns = platform.namespace;
    // Each subject a consumer filters on, with the consumers that must dead-letter what lands there.
    const targets: { subject: string; consumers: string[] }[] = [
      { subject: 'workflow.stage.entered', consumers: ['delivery-stage-entered', 'items-stage-entered'] },
      { subject: 'item.status.changed', consumers: ['delivery-item-events'] },
      { subject: 'workflow.item.completed', consumers: ['delivery-workflow-events'] },
      { subject: 'delivery.webhook.delivered', consumers: ['workflow-delivery-outcomes'] },
      { subject: 'delivery.webhook.failed', consumers: ['workflow-delivery-outcomes'] },
      { subject: 'webhook.endpoint.registered', consumers: ['delivery-endpoints', 'workflow-endpoints'] },
      { subject: 'webhook.event.published', consumers: ['delivery-published-events'] },
      // What internal services publish with @stagehook/publisher: none of it is a registered type.
      { subject: 'published.model.training.completed', consumers: ['webhooks-published-intake'] },
    ];
    const envelope = (type: string, data: unknown, extra: Json = {}): Json => ({
      specversion: '1.0',
      id: crypto.randomUUID(),
      source: 'hostile',
      type,
      time: new Date().toISOString(),
      datacontenttype: 'application/json',
      dataschemaversion: 1,
      subject: crypto.randomUUID(),
      projectid: projectId,
      data,
      ...extra,
    });
    const enc = (v: unknown) => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v));
    const bad = (type: string): Uint8Array[] => [
      enc('not json {'),
      enc(''),
      enc('null'),
      enc('[]'),
      new Uint8Array([0xff, 0xfe, 0x00, 0xc3, 0x28]),
      enc({ type, data: {} }),
      enc(envelope(type === 'item.status.changed' ? 'item.registered' : 'item.status.changed', {})),
      enc(envelope(type, {})),
      enc(envelope(type, { itemId: 5, projectId: ['x'], workflowId: { $ne: null } })),
      enc(envelope(type, {}, { dataschemaversion: 999 })),
      enc(envelope(type, { junk: 'x'.repeat(900_000) })),
      enc(envelope(type, nest(1_000))),
      enc(`{"specversion":"1.0","id":"${crypto.randomUUID()}","type":"${type}","source":"h","projectid":"p","data":{"__proto__":{"polluted":"yes"}}}`),
    ];
    const js = jetstream(nc);
    let published = 0;
    for (const t of targets) {
      for (const data of bad(t.subject)) {
        await js.publish(`${ns}.${t.subject}`, data);
        published++;
      }
    }

    // Every consumer of a subject dead-letters each message published there exactly once, with a
    // reason. Counted by consumer and original subject: a consumer filtering on a wider pattern
    // (delivery-workflow-events on `workflow.>`) also dead-letters what is malformed on its
    // neighbours' subjects, which is not held against them.
    const dlStream = `${ns}_DEADLETTER`;
    const deadLetters = async () => {
      const bySubject = new Map<string, number>();
      const reasons: (string | undefined)[] = [];
      const info = await jsm.streams.info(dlStream).catch(() => undefined);
      for (let seq = info?.state.first_seq ?? 1; info && info.state.messages > 0 && seq <= info.state.last_seq; seq++) {
        const m = await jsm.streams.getMessage(dlStream, { seq });
        if (!m) continue;
        reasons.push(m.header.get('Stagehook-Dead-Letter-Reason') || undefined);
        const key = `${m.header.get('Stagehook-Dead-Letter-Consumer')} ${m.header.get('Stagehook-Original-Subject').slice(ns.length + 1)}`;
        bySubject.set(key, (bySubject.get(key) ?? 0) + 1);
      }
      return { bySubject, reasons };
    };
    const want = targets.flatMap((t) => t.consumers.map((c) => [`${c} ${t.subject}`, bad(t.subject).length] as const));
    let seen = new Map<string, number>();
    await until(
      async () => {
        seen = (await deadLetters()).bySubject;
        return want.every(([key, n]) => (seen.get(key) ?? 0) >= n);
      },
      { timeoutMs: 60_000, intervalMs: 500, message: `dead letters ${JSON.stringify(want)}` },
    ).catch((err: Error) => {
      const logs = platform
        .logs()
        .filter((l) => /"level":"(warn|error|fatal)"/.test(l) && !/dead-lettered/.test(l))
        .slice(-20)
        .map((l) => l.slice(0, 400));
      return Promise.reject(new Error(`${err.message}; have ${JSON.stringify([...seen])}\n${logs.join('\n')}`));
    });
    const { bySubject, reasons } = await deadLetters();
    for (const [key, n] of want) expect([key, bySubject.get(key)]).toEqual([key, n]);
    for (const r of reasons) expect(r).toBeTruthy();
    const kinds = new Set(reasons.map((r) => r!.replace(/[0-9a-f-]{36}/g, '<id>').slice(0, 80)));
    console.log(`hostile NATS: ${published} messages on ${targets.length} subjects → ${reasons.length} dead letters; reasons:\n  ${[...kinds].join('\n  ')}`);

    // Valid events after them are still handled by all six consumers: a new endpoint reaches
    // delivery and workflow, a status change is sent, and a webhook stage entry is delivered and
    // its outcome routes the item on.
    receiver.clear();
    const ok = async <T = Json>(service: ServiceName, method: string, path: string, body?: unknown): Promise<T> => {
      const res = await call<T>(service, method, path, body);
      if (res.status >= 300) throw new Error(`${method} ${service}${path} → ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    };
    const status = await ok<{ id: string }>('webhooks', 'POST', '/endpoints', { name: 'after', url: `${receiver.url}/status`, eventTypes: ['item.status.changed'] });
    const stageEp = await ok<{ id: string }>('webhooks', 'POST', '/endpoints', { name: 'after-stage', url: `${receiver.url}/after-stage` });
    await until(async () => (await call('delivery', 'GET', `/endpoints/${status.id}/circuit`)).status === 200, {
      timeoutMs: 30_000,
      message: 'delivery-endpoints still consuming',
    });
    const wf = await ok<{ workflowId: string; stages: { id: string; type: string }[] }>('workflow', 'POST', '/workflows/template', {
      name: 'after',
      endpointId: stageEp.id,
      maxAttempts: 2,
    });
    const ds = await ok<{ id: string }>('items', 'POST', '/datasets', { name: 'after' });
    const { items } = await ok<{ items: { id: string }[] }>('items', 'POST', '/items', { datasetId: ds.id, items: [{ name: 'after.jpg', width: 10, height: 10 }] });
    const itemId = items[0].id;
    await ok('items', 'POST', `/items/${itemId}/status`, { to: 'in_progress', changedBy: 'h@example.com' });
    await receiver.waitFor(1, '/status', 30_000);
    await ok('workflow', 'POST', `/workflows/${wf.workflowId}/items`, { itemIds: [itemId] });
    await ok('workflow', 'POST', `/workflows/${wf.workflowId}/items/${itemId}/start`, {});
    await ok('workflow', 'POST', `/workflows/${wf.workflowId}/items/${itemId}/submit`, {});
    await receiver.waitFor(1, '/after-stage', 30_000);
    const review = wf.stages.find((s) => s.type === 'review')!.id;
    await until(async () => (await call<{ stageId: string }>('workflow', 'GET', `/workflows/${wf.workflowId}/items/${itemId}`)).body.stageId === review, {
      timeoutMs: 30_000,
      message: 'outcome consumed after the dead letters',
    });
  });
});
