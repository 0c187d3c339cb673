// Delivery throughput and latency, end to end, with full persistence:
//   stage-entered event on JetStream → consumer freezes the message (PostgreSQL) → dispatcher
//   claims, signs, POSTs with undici → receiver; attempt row + outcome event per delivery.
// Same run: the raw ceiling (undici POSTs of the same bodies to the same receiver at the same
// concurrency, nothing else), 1 and 2 delivery processes, and 1 hanging endpoint among 10.
// Also: events entering through the registry's `POST /events` (issue 18): a custom type with a
// JSON Schema, each event validated, made durable and relayed by the registry before delivery.
// Usage: npm run bench [-- N]   (BENCH_N also works; default 20000). Last line: JSON.
// BENCH_ONLY=publish runs the raw ceiling and the POST /events run only; BENCH_ONLY=delivery
// leaves the POST /events run out (the dispatch runs only), BENCH_ONLY=bursts runs the 1- and
// 2-replica bursts only, BENCH_ONLY=paced the paced runs only. BENCH_POLL_MS sets DISPATCH_POLL_MS.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { jetstream } from '@nats-io/jetstream';
import { BusNamespace, ItemsRpc, newEvent, toCloudEvent, type EndpointStateData, type ItemSummary, type StageEnteredData } from '@stagehook/contracts';
import { ensureStreams, serveRpc } from '@stagehook/messaging';
import { mintProjectToken, SecretBox } from '@stagehook/platform';
import { SWC_REGISTER, connectTestNats, createTestDatabase, deleteNamespace, freePort, testEnv, uniqueName } from '@stagehook/testing';
import pg from 'pg';
import { Agent, request } from 'undici';

const N = Number(process.argv[2] ?? process.env.BENCH_N ?? 20_000);
const N_HANG = Math.max(2_000, Math.floor(N / 4));
const ENDPOINTS = 10;
const CONCURRENCY = 128;
const KEYRING = `k1:${randomBytes(32).toString('base64')}`;
const DIST = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const SRC = fileURLToPath(new URL('../src/main.ts', import.meta.url));
// The registry, started as a process like delivery (nothing of its code is imported).
const REGISTRY_DIST = fileURLToPath(new URL('../../webhooks/dist/main.js', import.meta.url));
const REGISTRY_SRC = fileURLToPath(new URL('../../webhooks/src/main.ts', import.meta.url));
const AUTH_SECRET = 'delivery-bench-secret-0123456789abcdef';

/** The item a stage entry freezes, as items answers it and workflow carries it. */
function benchItem(itemId: string, version: number): ItemSummary {
  return {
    id: itemId,
    projectId: 'bench',
    datasetId: 'ds',
    datasetName: 'Bench',
    datasetSlug: 'bench',
    name: `${itemId}.jpg`,
    path: '/',
    status: 'in_progress',
    tags: [],
    version,
    metadata: {},
    slots: [],
  };
}

function pct(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = Float64Array.from(xs).sort();
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] * 10) / 10;
}

/** A minimal receiver: 200 at once (or hangs on /hang/), latency from the body's enteredAt. */
class Receiver {
  server!: Server;
  latencies: number[] = [];
  /** Receipt time and latency of each delivery (BENCH_DUMP writes them out). */
  series: [number, number][] = [];
  healthyLatencies: number[] = [];
  seen = new Set<string>();
  /** Requests answered, repeats of a webhook-id included (a repeat is a duplicate delivery). */
  received = 0;
  first = 0;
  last = 0;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.url?.startsWith('/hang/')) return; // never answers; the delivery times out
        const now = Date.now();
        const id = String(req.headers['webhook-id'] ?? randomUUID());
        this.received++;
        if (!this.seen.has(id)) {
          this.seen.add(id);
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data: { enteredAt: string } };
          const l = now - Date.parse(body.data.enteredAt);
          this.latencies.push(l);
          this.series.push([now, l]);
          if (req.url?.startsWith('/ok/')) this.healthyLatencies.push(l);
          if (!this.first) this.first = now;
          this.last = now;
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"ok":true}');
      });
    });
    this.server.keepAliveTimeout = 60_000;
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  reset(): void {
    this.latencies = [];
    this.series = [];
    this.healthyLatencies = [];
    this.seen.clear();
    this.received = 0;
    this.first = 0;
    this.last = 0;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}

function body(i: number): string {
  const now = new Date().toISOString();
  return JSON.stringify({
    type: 'workflow.stage.entered',
    timestamp: now,
    data: { projectId: 'bench', workflowId: 'wf', stageId: 'st', visitId: `v${i}`, itemId: `it${i}`, itemVersion: 1, enteredAt: now },
  });
}

/** The ceiling: undici POSTs of the same bodies at the same concurrency, nothing else. */
async function rawCeiling(base: string, rx: Receiver, n: number): Promise<{ perSecond: number; p50: number; p99: number }> {
  rx.reset();
  const agent = new Agent({ connections: null, keepAliveTimeout: 30_000 });
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < n) {
        const i = next++;
        const res = await request(`${base}/ok/${i % ENDPOINTS}`, {
          method: 'POST',
          body: body(i),
          headers: { 'content-type': 'application/json', 'webhook-id': `raw${i}` },
          dispatcher: agent,
        });
        await res.body.dump();
      }
    }),
  );
  const s = (performance.now() - t0) / 1000;
  await agent.close();
  return { perSecond: Math.round(n / s), p50: pct(rx.latencies, 50), p99: pct(rx.latencies, 99) };
}

interface RunResult {
  replicas: number;
  n: number;
  perSecond: number;
  p50: number;
  p99: number;
  healthyP50?: number;
  healthyP99?: number;
  seconds: number;
  /** Requests beyond the first per webhook-id. */
  duplicates?: number;
}

/** `ratePerSecond` paces the publishes (latency at a sustainable rate); 0 publishes as fast as possible. */
async function run(base: string, rx: Receiver, replicas: number, n: number, hanging: boolean, ratePerSecond = 0): Promise<RunResult> {
  const db = await createTestDatabase('delivery_bench');
  const ns = new BusNamespace(uniqueName('dlbench'));
  const { nc, jsm } = await connectTestNats('delivery-bench');
  const js = jetstream(nc);
  await ensureStreams(jsm, ns, ['WORKFLOW', 'WEBHOOKS']);
  // The items service as delivery sees it: a metadata-only stage payload carries the item as of
  // the entered version. Workflow puts the item it received from items into the stage entry
  // (`item`), as here, so delivery asks only when an entry lacks it; the request is still served.
  const itemsHead = serveRpc(nc, ns, ItemsRpc.head, 'items', async (req) => {
    const r = req as { itemId: string; version?: number };
    return { ok: true, item: benchItem(r.itemId, r.version ?? 1) };
  });
  const box = SecretBox.fromConfig(KEYRING);
  const env: Record<string, string> = {
    ...process.env,
    NODE_ENV: 'production',
    SERVICE_NAME: 'delivery',
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: db.url,
    NATS_URL: testEnv.natsUrl,
    BUS_NAMESPACE: ns.prefix,
    AUTH_TOKEN_SECRETS: AUTH_SECRET,
    SECRET_KEYS: KEYRING,
    SSRF_ALLOW_LIST: '127.0.0.1',
    LOG_LEVEL: 'error',
    DISPATCH_CONCURRENCY: String(CONCURRENCY / replicas),
    ENDPOINT_CONCURRENCY: '32',
    // Totals shared by the replicas; PostgreSQL allows 100 connections on these machines.
    CONSUMER_CONCURRENCY: String(Math.floor(Number(process.env.BENCH_CONSUMER_CONCURRENCY ?? 32) / replicas)),
    DISPATCH_POLL_MS: process.env.BENCH_POLL_MS ?? '20',
    DB_POOL_SIZE: String(Math.floor(Number(process.env.BENCH_DB_POOL_SIZE ?? 48) / replicas)),
    NODE_OPTIONS: '',
  };
  const useDist = existsSync(DIST);
  const children: ChildProcess[] = [];
  for (let r = 0; r < replicas; r++) {
    // e.g. BENCH_NODE_ARGS='--cpu-prof --cpu-prof-dir=prof' shows where a replica's time goes.
    const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
    const child = spawn(process.execPath, [...nodeArgs, ...(useDist ? [DIST] : ['--import', SWC_REGISTER, SRC])], { env, stdio: ['ignore', 'ignore', 'inherit'] });
    children.push(child);
  }
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  try {
    // Endpoints arrive through the registry's events, as in production.
    const eps: string[] = [];
    for (let i = 0; i < ENDPOINTS; i++) {
      const endpointId = `ep${i}`;
      eps.push(endpointId);
      const state: EndpointStateData = {
        endpointId,
        projectId: 'bench',
        name: `bench ${i}`,
        url: hanging && i === 0 ? `${base}/hang/${i}` : `${base}/ok/${i}`,
        eventTypes: [],
        filters: {},
        includeAnnotations: false,
        timeoutMs: 5_000,
        retryPolicy: null,
        headers: [],
        active: true,
        disabledReason: null,
        authorization: null,
        signingSecrets: { current: box.seal(`whsec_${randomBytes(32).toString('base64')}`), previous: null },
        at: new Date().toISOString(),
      };
      const e = newEvent('webhook.endpoint.registered', state, { source: 'webhooks', projectId: 'bench' });
      await js.publish(ns.subject(e.type), JSON.stringify(toCloudEvent({ ...e, streamId: `endpoint-${endpointId}`, createdAt: new Date() })), { msgID: e.id });
    }
    for (;;) {
      const r = await pool.query(`SELECT count(*)::int AS n FROM dl_endpoints`).catch(() => ({ rows: [{ n: 0 }] }));
      if ((r.rows[0] as { n: number }).n === ENDPOINTS) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    /** Publishes stage entries `from`…`from + count - 1` (paced at `ratePerSecond` when given), then waits for their receipts. */
    const feed = async (from: number, count: number): Promise<number> => {
      const t0 = Date.now();
      const pending: Promise<unknown>[] = [];
      for (let i = from; i < from + count; i++) {
        const d: StageEnteredData = {
          workflowId: 'wf',
          workflowVersion: 1,
          stageId: 'st',
          stageType: 'webhook',
          stageName: 'bench',
          itemId: `it${i}`,
          visitId: randomUUID(),
          itemVersion: 1,
          projectId: 'bench',
          enteredAt: new Date().toISOString(),
          webhook: { endpointId: eps[i % ENDPOINTS], maxAttempts: 1 },
          item: benchItem(`it${i}`, 1),
        };
        const e = newEvent('workflow.stage.entered', d, { source: 'workflow', projectId: 'bench' });
        if (ratePerSecond > 0) {
          const due = t0 + ((i - from) * 1000) / ratePerSecond;
          if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
        }
        pending.push(js.publish(ns.subject(e.type), JSON.stringify(toCloudEvent({ ...e, streamId: `item-it${i}`, createdAt: new Date() })), { msgID: e.id }));
        if (pending.length >= (ratePerSecond > 0 ? 1 : 500)) await Promise.all(pending.splice(0));
      }
      await Promise.all(pending);
      let expected = 0;
      for (let i = from; i < from + count; i++) if (!(hanging && i % ENDPOINTS === 0)) expected++;
      const deadline = Date.now() + 600_000;
      while (rx.seen.size < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      return t0;
    };
    // Warm-up, not measured: a replica just started compiles its hot paths and opens its pooled
    // connections during its first seconds, which a steady state does not pay (two seconds' worth
    // at the paced rate; 500 events of a burst).
    const warmUp = ratePerSecond > 0 ? Math.ceil(ratePerSecond * 2) : 500;
    rx.reset();
    await feed(n, warmUp);
    rx.reset();
    const measuredFrom = new Date();
    const t0 = await feed(0, n);
    const seconds = (rx.last - t0) / 1000;
    if (process.env.BENCH_DUMP)
      writeFileSync(`${process.env.BENCH_DUMP}-${replicas}-${ratePerSecond}-${hanging ? 'hang' : 'ok'}.json`, JSON.stringify(rx.series.map(([at, l]) => [at - t0, l])));
    // Where the time goes: intake (event → frozen message) versus dispatch (message → receipt).
    const phases = (
      await pool.query(
        `SELECT extract(epoch FROM max(m.created_at) - min(m.created_at)) AS intake_s,
                extract(epoch FROM max(d.completed_at) - min(d.completed_at)) AS dispatch_s,
                extract(epoch FROM avg(d.completed_at - m.created_at)) * 1000 AS queue_ms
         FROM dl_messages m JOIN dl_deliveries d ON d.message_id = m.id WHERE m.created_at >= $1`,
        [measuredFrom],
      )
    ).rows[0] as { intake_s: number; dispatch_s: number; queue_ms: number };
    // Per delivery, p50/p99 of each leg: event → message row (its transaction's start, intake)
    // and message row → first request out (commit, wake, claim, sign).
    const legs = (
      await pool.query(
        `WITH l AS (
           SELECT extract(epoch FROM m.created_at - (m.body::jsonb->'data'->>'enteredAt')::timestamptz) * 1000 AS intake_ms,
                  extract(epoch FROM a.started_at - m.created_at) * 1000 AS claim_ms
           FROM dl_messages m JOIN dl_deliveries d ON d.message_id = m.id JOIN dl_attempts a ON a.delivery_id = d.id AND a.n = 1
           WHERE m.created_at >= $1)
         SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY intake_ms) AS i50, percentile_cont(0.99) WITHIN GROUP (ORDER BY intake_ms) AS i99,
                percentile_cont(0.5) WITHIN GROUP (ORDER BY claim_ms) AS c50, percentile_cont(0.99) WITHIN GROUP (ORDER BY claim_ms) AS c99 FROM l`,
        [measuredFrom],
      )
    ).rows[0] as { i50: number; i99: number; c50: number; c99: number };
    console.log(
      `  phases: intake ${Number(phases.intake_s).toFixed(1)} s, dispatch ${Number(phases.dispatch_s).toFixed(1)} s, mean message→sent ${Math.round(phases.queue_ms)} ms; ` +
        `event→message p50/p99 ${Math.round(legs.i50)}/${Math.round(legs.i99)} ms, message→sent ${Math.round(legs.c50)}/${Math.round(legs.c99)} ms`,
    );
    return {
      replicas,
      n: rx.seen.size,
      perSecond: Math.round(rx.seen.size / seconds),
      duplicates: rx.received - rx.seen.size,
      p50: pct(rx.latencies, 50),
      p99: pct(rx.latencies, 99),
      ...(hanging ? { healthyP50: pct(rx.healthyLatencies, 50), healthyP99: pct(rx.healthyLatencies, 99) } : {}),
      seconds: Math.round(seconds * 10) / 10,
    };
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : Promise.resolve())));
    await pool.end();
    itemsHead.unsubscribe();
    await deleteNamespace(jsm, ns.prefix);
    await nc.drain();
    await db.drop();
  }
}

/**
 * Events entering through `POST /events` on the registry (one event per request, `PUBLISHERS`
 * requests in flight): schema check, append + relay in the registry, then delivery's intake and
 * dispatch to 10 subscribed endpoints (each event reaches one, by a `shard` type per endpoint).
 */
async function runPublished(base: string, rx: Receiver, n: number): Promise<RunResult & { acceptedPerSecond: number }> {
  const PUBLISHERS = 64;
  const dlDb = await createTestDatabase('delivery_bench');
  const regDb = await createTestDatabase('webhooks_bench');
  const ns = new BusNamespace(uniqueName('dlbench'));
  const { nc, jsm } = await connectTestNats('delivery-bench');
  const common: Record<string, string> = {
    ...process.env,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    NATS_URL: testEnv.natsUrl,
    BUS_NAMESPACE: ns.prefix,
    AUTH_TOKEN_SECRETS: AUTH_SECRET,
    SECRET_KEYS: KEYRING,
    SSRF_ALLOW_LIST: '127.0.0.1',
    LOG_LEVEL: 'error',
    NODE_OPTIONS: '',
  };
  const registryPort = await freePort();
  const registryUrl = `http://127.0.0.1:${registryPort}`;
  const start = (dist: string, src: string, env: Record<string, string>) =>
    spawn(process.execPath, existsSync(dist) ? [dist] : ['--import', SWC_REGISTER, src], { env: { ...common, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  const children = [
    start(REGISTRY_DIST, REGISTRY_SRC, { SERVICE_NAME: 'webhooks', PORT: String(registryPort), DATABASE_URL: regDb.url }),
    start(DIST, SRC, {
      SERVICE_NAME: 'delivery',
      PORT: '0',
      DATABASE_URL: dlDb.url,
      DISPATCH_CONCURRENCY: String(CONCURRENCY),
      ENDPOINT_CONCURRENCY: '32',
      CONSUMER_CONCURRENCY: process.env.BENCH_CONSUMER_CONCURRENCY ?? '32',
      DISPATCH_POLL_MS: '20',
      DB_POOL_SIZE: process.env.BENCH_DB_POOL_SIZE ?? '48',
    }),
  ];
  const pool = new pg.Pool({ connectionString: dlDb.url, max: 2 });
  const token = mintProjectToken({ projectId: 'bench', secret: AUTH_SECRET, ttlSeconds: 3600, actor: { kind: 'service', id: 'bench' }, scopes: ['publish'] });
  const agent = new Agent({ connections: null, keepAliveTimeout: 30_000 });
  const call = async (method: 'POST' | 'GET', path: string, body?: unknown): Promise<{ status: number; json: unknown }> => {
    const res = await request(`${registryUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      dispatcher: agent,
    });
    const text = await res.body.text();
    return { status: res.statusCode, json: text ? (JSON.parse(text) as unknown) : null };
  };
  try {
    for (let i = 0; ; i++) {
      if ((await call('GET', '/health').catch(() => ({ status: 0 }))).status === 200) break;
      if (i > 600) throw new Error('the registry did not become healthy');
      await new Promise((r) => setTimeout(r, 100));
    }
    const schema = { type: 'object', required: ['enteredAt', 'i'], properties: { enteredAt: { type: 'string', format: 'date-time' }, i: { type: 'integer', minimum: 0 } } };
    for (let e = 0; e < ENDPOINTS; e++) {
      const reg = await call('POST', '/event-types', { name: `bench.shard${e}.happened`, description: 'bench', schema });
      if (reg.status !== 201) throw new Error(`POST /event-types → ${reg.status} ${JSON.stringify(reg.json)}`);
      const ep = await call('POST', '/endpoints', { name: `bench ${e}`, url: `${base}/ok/${e}`, eventTypes: [`bench.shard${e}.happened`], timeoutMs: 5_000 });
      if (ep.status !== 201) throw new Error(`POST /endpoints → ${ep.status} ${JSON.stringify(ep.json)}`);
    }
    for (;;) {
      const r = await pool.query(`SELECT count(*)::int AS n FROM dl_endpoints`).catch(() => ({ rows: [{ n: 0 }] }));
      if ((r.rows[0] as { n: number }).n === ENDPOINTS) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    rx.reset();
    const t0 = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: PUBLISHERS }, async () => {
        while (next < n) {
          const i = next++;
          const r = await call('POST', '/events', { type: `bench.shard${i % ENDPOINTS}.happened`, data: { enteredAt: new Date().toISOString(), i } });
          if (r.status !== 202) throw new Error(`POST /events → ${r.status} ${JSON.stringify(r.json)}`);
        }
      }),
    );
    const acceptedSeconds = (Date.now() - t0) / 1000;
    const deadline = Date.now() + 600_000;
    while (rx.seen.size < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const seconds = (rx.last - t0) / 1000;
    return {
      replicas: 1,
      n: rx.seen.size,
      perSecond: Math.round(rx.seen.size / seconds),
      acceptedPerSecond: Math.round(n / acceptedSeconds),
      p50: pct(rx.latencies, 50),
      p99: pct(rx.latencies, 99),
      seconds: Math.round(seconds * 10) / 10,
    };
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : Promise.resolve())));
    await agent.close();
    await pool.end();
    await deleteNamespace(jsm, ns.prefix);
    await nc.drain();
    await dlDb.drop();
    await regDb.drop();
  }
}

const rx = new Receiver();
const base = await rx.start();
const only = process.env.BENCH_ONLY;
console.log(`N=${N}, ${ENDPOINTS} endpoints, concurrency ${CONCURRENCY}`);
const raw = await rawCeiling(base, rx, N);
console.log(`raw undici ceiling: ${raw.perSecond}/s`);
let published: (RunResult & { acceptedPerSecond: number }) | undefined;
if (only === undefined || only === 'publish') {
  published = await runPublished(base, rx, N);
  console.log(
    `POST /events → delivery, 1 replica each: ${published.perSecond}/s delivered (${published.acceptedPerSecond}/s accepted), p50 ${published.p50} ms, p99 ${published.p99} ms (${published.n} in ${published.seconds} s)`,
  );
}
if (only === 'publish' && published) {
  await rx.close();
  console.log(
    JSON.stringify({
      n: N,
      endpoints: ENDPOINTS,
      rawCeilingPerSecond: raw.perSecond,
      publishedViaHttp: published,
      ratioPublishedToRaw: Math.round((published.perSecond / raw.perSecond) * 1000) / 1000,
    }),
  );
  process.exit(0);
}
// BENCH_ONLY=paced BENCH_RATE=<n/s> runs the two paced runs only, at that rate (a quick look at latency).
const skipBursts = only === 'paced';
const none: RunResult = { replicas: 0, n: 0, perSecond: NaN, p50: NaN, p99: NaN, seconds: 0 };
const one = skipBursts ? { ...none, replicas: 1, perSecond: 2 * Number(process.env.BENCH_RATE ?? 150) } : await run(base, rx, 1, N, false);
if (!skipBursts) console.log(`1 replica: ${one.perSecond}/s, p50 ${one.p50} ms, p99 ${one.p99} ms (${one.n} in ${one.seconds} s, ${one.duplicates} duplicates)`);
const two = skipBursts ? { ...none, replicas: 2 } : await run(base, rx, 2, N, false);
if (!skipBursts) console.log(`2 replicas: ${two.perSecond}/s, p50 ${two.p50} ms, p99 ${two.p99} ms (${two.n} in ${two.seconds} s, ${two.duplicates} duplicates)`);
if (only === 'bursts') {
  // BENCH_ONLY=bursts: the 1- and 2-replica bursts only (where replicas' throughput goes).
  await rx.close();
  console.log(JSON.stringify({ n: N, rawCeilingPerSecond: raw.perSecond, oneReplica: one, twoReplicas: two }));
  process.exit(0);
}
const halfRate = Math.max(1, Math.round(one.perSecond / 2));
const pacedN = Math.min(N, halfRate * 20);
const paced = await run(base, rx, 1, pacedN, false, halfRate);
console.log(`1 replica paced at ${halfRate}/s (half the measured rate): p50 ${paced.p50} ms, p99 ${paced.p99} ms (${paced.n} in ${paced.seconds} s)`);
// The isolation aim is stated at the paced run's rate: the healthy endpoints' p99 beside one that
// never answers, against the paced run's p99 without it (a full-load run measures the backlog of
// the burst instead, whatever the hanging endpoint does).
const hang = await run(base, rx, 1, pacedN, true, halfRate);
const hangRatio = Math.round(((hang.healthyP99 ?? NaN) / paced.p99) * 100) / 100;
console.log(
  `1 hanging endpoint of ${ENDPOINTS}, paced at ${halfRate}/s: healthy p50 ${hang.healthyP50} ms, p99 ${hang.healthyP99} ms = ${hangRatio} × the paced p99 (${hang.n} healthy deliveries in ${hang.seconds} s)`,
);
const hangFull = skipBursts ? { ...none, replicas: 1 } : await run(base, rx, 1, N_HANG, true);
console.log(
  `1 hanging endpoint of ${ENDPOINTS}, full load: healthy p50 ${hangFull.healthyP50} ms, p99 ${hangFull.healthyP99} ms (${hangFull.n} healthy deliveries in ${hangFull.seconds} s)`,
);
await rx.close();
console.log(
  JSON.stringify({
    n: N,
    endpoints: ENDPOINTS,
    concurrency: CONCURRENCY,
    rawCeilingPerSecond: raw.perSecond,
    oneReplica: one,
    twoReplicas: two,
    ratioOneReplicaToRaw: Math.round((one.perSecond / raw.perSecond) * 1000) / 1000,
    ratioTwoReplicasToRaw: Math.round((two.perSecond / raw.perSecond) * 1000) / 1000,
    pacedAtHalfRate: { ratePerSecond: halfRate, ...paced },
    // At the paced run's rate (bench/run.mjs compares its healthyP99 with pacedAtHalfRate.p99).
    hangingEndpoint: { ratePerSecond: halfRate, ...hang },
    ratioHangingHealthyP99ToPacedP99: hangRatio,
    hangingEndpointFullLoad: hangFull,
    ...(published ? { publishedViaHttp: published, ratioPublishedToRaw: Math.round((published.perSecond / raw.perSecond) * 1000) / 1000 } : {}),
  }),
);
process.exit(0);
