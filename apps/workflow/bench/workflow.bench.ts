// npm run bench:workflow — items moved through the template (dataset → annotate → webhook →
// review → complete) per second, over HTTP against the real service on PostgreSQL and NATS, with
// the items service's `head` answered by the bench and `delivery.webhook.delivered` published by
// the bench for every webhook stage entry (as the delivery service would). Baseline in the same
// run: raw `pg` inserts of the same number of events, in transactions shaped like the commands'.
// Bounded: BENCH_ITEMS (default 200) items, BENCH_CONCURRENCY (default 16) in flight.
// The service runs as its own process from dist/ (the bench script builds it first), as `npm
// start` runs it: the bench's client and stand-ins do not share its event loop. BENCH_NODE_ARGS
// (e.g. `--cpu-prof --cpu-prof-dir=…`) are passed to it. The last line is one JSON object with
// every figure.
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { BusNamespace, type ItemHeadReply, ItemsRpc, type RpcReply, toCloudEvent, WebhooksRpc } from '@stagehook/contracts';
import { serveRpc } from '@stagehook/messaging';
import { mintProjectToken } from '@stagehook/platform';
import { createTestDatabase, deleteNamespace, freePort, serviceEnv, startServiceProcess, testEnv, uniqueName, until } from '@stagehook/testing';
import pg from 'pg';
import { Agent, request } from 'undici';

const N = Number(process.env.BENCH_ITEMS ?? 200);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const SECRET = 'workflow-bench-secret-0123456789abcdef';
const PROJECT = 'proj-bench';
/** Events one item appends on its way: add 1, start 2, submit 2, delivered 2, approve 3. */
const EVENTS_PER_ITEM = 10;
const APP_DIR = fileURLToPath(new URL('..', import.meta.url));

const rate = (n: number, s: number) => Math.round(n / s);
const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;

async function chains(total: number, concurrency: number, job: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < total; i = next++) await job(i);
    }),
  );
}

const db = await createTestDatabase('workflow_bench');
const ns = new BusNamespace(uniqueName('wfbench'));
const nc = await connect({ servers: testEnv.natsUrl, name: 'workflow-bench' });
const js = jetstream(nc);
const jsm = await js.jetstreamManager();
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const logs: string[] = [];
const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
const service: ChildProcess = await startServiceProcess({
  script: 'dist/main.js',
  cwd: APP_DIR,
  env: {
    ...serviceEnv({ service: 'workflow', databaseUrl: db.url, namespace: ns.prefix, authSecret: SECRET, secretKeys: '', port, logLevel: 'error' }),
    NODE_ENV: 'production',
    OUTCOME_CONCURRENCY: '8',
  },
  nodeArgs,
  healthUrl: `${base}/health`,
  label: 'workflow',
  logs,
});
const token = mintProjectToken({ projectId: PROJECT, secret: SECRET, ttlSeconds: 3600 });

const responder = serveRpc(nc, ns, ItemsRpc.head, 'items', async (req): Promise<RpcReply<ItemHeadReply>> => {
  const { itemId } = req as { itemId: string };
  return {
    ok: true,
    item: {
      id: itemId,
      projectId: PROJECT,
      datasetId: 'ds',
      datasetName: 'DS',
      datasetSlug: 'ds',
      name: itemId,
      path: '/',
      status: 'new',
      tags: [],
      version: 3,
      metadata: {},
      slots: [],
    },
  };
});

// The registry's part: the workflow's endpoint exists (checked when the workflow is saved).
const registry = serveRpc(nc, ns, WebhooksRpc.endpoint, 'webhooks', async (req) => ({
  ok: true,
  endpoint: { id: (req as { endpointId: string }).endpointId, active: true, disabledReason: null },
}));

// The delivery service's part: every webhook entry is delivered.
const completed = new Set<string>();
const inReview = new Set<string>();
const watcher = nc.subscribe(ns.subject('workflow.>'), {
  callback: (_err, msg) => {
    const e = msg.json<{ type: string; data: Record<string, string> }>();
    if (e.type === 'workflow.item.completed') completed.add(e.data.itemId);
    if (e.type === 'workflow.stage.entered' && e.data.stageType === 'review') inReview.add(e.data.itemId);
    if (e.type !== 'workflow.stage.entered' || e.data.stageType !== 'webhook') return;
    const id = randomUUID();
    const envelope = toCloudEvent({
      id,
      type: 'delivery.webhook.delivered',
      schemaVersion: 1,
      data: {
        deliveryId: randomUUID(),
        endpointId: 'ep-bench',
        projectId: PROJECT,
        triggerEventId: randomUUID(),
        triggerType: 'workflow.stage.entered',
        workflowId: e.data.workflowId,
        stageId: e.data.stageId,
        visitId: e.data.visitId,
        itemId: e.data.itemId,
        attempts: 1,
        lastStatusCode: 200,
        lastError: null,
        at: new Date().toISOString(),
      },
      metadata: { source: 'delivery', projectId: PROJECT },
      streamId: `delivery-${id}`,
      createdAt: new Date(),
    });
    void js.publish(ns.subject('delivery.webhook.delivered'), JSON.stringify(envelope), { msgID: id });
  },
});

// A keep-alive pool, as a client of the service would hold: fetch's per-request cost is the bench's, not the service's.
const http = new Agent({ connections: CONCURRENCY, pipelining: 1 });

async function call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await request(`${base}${path}`, {
    method,
    dispatcher: http,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.body.json()) as Record<string, unknown>;
  if (res.statusCode >= 300) throw new Error(`${method} ${path}: ${res.statusCode} ${JSON.stringify(json)}`);
  return json;
}

const pool = new pg.Pool({ connectionString: db.url, max: CONCURRENCY });
try {
  const wf = await call('POST', '/workflows/template', { endpointId: 'ep-bench' });
  const wfId = wf.workflowId as string;
  const items = Array.from({ length: N }, (_, i) => `bench-${i}-${randomUUID().slice(0, 8)}`);

  let t = performance.now();
  for (let i = 0; i < N; i += 1000) await call('POST', `/workflows/${wfId}/items`, { itemIds: items.slice(i, i + 1000) });
  const addSeconds = (performance.now() - t) / 1000;

  const steps = { start: 0, submit: 0, outcome: 0, approve: 0 };
  // Each chain moves one item at a time all the way: start, submit, (delivered), approve.
  t = performance.now();
  await chains(N, CONCURRENCY, async (i) => {
    const item = items[i];
    let t0 = performance.now();
    await call('POST', `/workflows/${wfId}/items/${item}/start`, {});
    steps.start += performance.now() - t0;
    t0 = performance.now();
    await call('POST', `/workflows/${wfId}/items/${item}/submit`, {});
    steps.submit += performance.now() - t0;
    t0 = performance.now();
    // Watch the bus rather than poll the API: polling would load the service being measured.
    await until(() => inReview.has(item), { timeoutMs: 60_000, intervalMs: 5 });
    steps.outcome += performance.now() - t0;
    t0 = performance.now();
    await call('POST', `/workflows/${wfId}/items/${item}/approve`, {});
    steps.approve += performance.now() - t0;
  });
  const moveSeconds = (performance.now() - t) / 1000;
  const stepMs = Object.fromEntries(Object.entries(steps).map(([k, v]) => [k, Math.round(v / N)]));
  await until(() => completed.size === N, { timeoutMs: 60_000, message: 'every item.completed published' });
  const publishedSeconds = (performance.now() - t) / 1000;

  // Baseline: the same number of events as raw inserts, in transactions of the commands' sizes.
  await pool.query(`CREATE TABLE raw_events (LIKE es_events INCLUDING ALL)`);
  const payload = JSON.stringify({ workflowId: wfId, itemId: 'x', stageId: 's', visitId: randomUUID(), projectId: PROJECT, enteredAt: new Date().toISOString() });
  const txSizes = [1, 2, 2, 2, 3];
  t = performance.now();
  await chains(N, CONCURRENCY, async (i) => {
    const client = await pool.connect();
    try {
      let v = 0;
      for (const size of txSizes) {
        await client.query('BEGIN');
        for (let k = 0; k < size; k++) {
          v++;
          await client.query(
            `INSERT INTO raw_events (stream_id, stream_version, event_id, type, schema_version, data, metadata) VALUES ($1, $2, $3, 'workflow.stage.entered', 1, $4, '{}')`,
            [`raw-${i}`, v, randomUUID(), payload],
          );
        }
        await client.query('COMMIT');
      }
    } finally {
      client.release();
    }
  });
  const rawSeconds = (performance.now() - t) / 1000;

  const figures = {
    bench: 'workflow',
    items: N,
    concurrency: CONCURRENCY,
    addItemsPerSecond: rate(N, addSeconds),
    itemsThroughTemplatePerSecond: rate(N, moveSeconds),
    itemsCompletedAndPublishedPerSecond: rate(N, publishedSeconds),
    eventsPerSecond: rate(N * (EVENTS_PER_ITEM - 1), moveSeconds),
    rawPgEventsPerSecond: rate(N * (EVENTS_PER_ITEM - 1), rawSeconds),
    rawPgItemsPerSecond: rate(N, rawSeconds),
    // Service throughput as a fraction of raw inserts of the same events.
    serviceVsRawPg: ratio(rawSeconds, moveSeconds),
    meanStepMs: stepMs,
  };
  const rows: Array<[string, string]> = [
    [`add ${N} items (bulk, HTTP)`, `${figures.addItemsPerSecond} items/s`],
    ['items through the template (HTTP, 4 commands + 1 outcome each)', `${figures.itemsThroughTemplatePerSecond} items/s`],
    ['… until every item.completed is on NATS', `${figures.itemsCompletedAndPublishedPerSecond} items/s`],
    ['workflow events appended', `${figures.eventsPerSecond} events/s`],
    ['raw pg inserts, same events and transaction sizes', `${figures.rawPgEventsPerSecond} events/s (${figures.rawPgItemsPerSecond} items/s)`],
    ['service / raw pg', `${figures.serviceVsRawPg}`],
    [
      'mean latency per step (ms)',
      Object.entries(stepMs)
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
    ],
  ];
  const w = Math.max(...rows.map((r) => r[0].length));
  console.log(`workflow bench: ${N} items, ${CONCURRENCY} in flight`);
  for (const [k, v] of rows) console.log(`${k.padEnd(w)}  ${v}`);
  console.log(JSON.stringify(figures));
} finally {
  watcher.unsubscribe();
  responder.unsubscribe();
  registry.unsubscribe();
  service.kill('SIGTERM');
  await new Promise((resolve) => (service.exitCode !== null ? resolve(null) : service.once('exit', resolve)));
  await http.close();
  await pool.end();
  await deleteNamespace(jsm, ns.prefix);
  await nc.drain();
  await db.drop();
}
