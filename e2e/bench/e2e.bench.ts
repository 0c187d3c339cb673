// npm run bench:e2e [-- --seconds 20 --rate 100] — the four services as processes (the e2e
// harness: fresh databases and a bus namespace of their own, loopback only), a local receiver,
// and a steady RATE items/s through the template workflow (dataset → annotate → webhook → review
// → complete) for SECONDS. Each item is started (→ annotate, status in_progress) and submitted
// (→ webhook stage) at its scheduled time. Measured, as p50/p99:
//   stage entry → receipt: the webhook stage's POST at the receiver, from the stage.entered time
//   status change → receipt: item.status.changed POSTs at the receiver, from the change time
//   stage entry → review: the review stage.entered (after the webhook `succeeded`), from the
//     webhook stage.entered, both read off the bus
// The raw baseline of the same run is a bare HTTP POST to the same receiver on loopback.
// Bounded: at most RATE × SECONDS items, fed for at most 2 × SECONDS, then a drain of at most
// 30 s. Ctrl-C / SIGTERM stops the services and drops their databases. Last line JSON.
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { ok, type WorkflowView } from '@stagehook/sdk';
import { testEnv } from '@stagehook/testing';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus } from 'node:os';
import { Platform, SERVICE_NAMES } from '../test/support/platform.js';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
  return v;
}

const SECONDS = Math.min(flag('seconds', 60), 60);
const RATE = flag('rate', 100);
const TOTAL = Math.round(SECONDS * RATE);
// Items whose commands are still running; a platform slower than RATE falls behind the schedule
// (reported as `behindMs`) instead of piling up unbounded requests.
const MAX_IN_FLIGHT = 256;
const DRAIN_MS = 30_000;
// A platform far slower than RATE stops being fed at twice the planned time: the run stays
// bounded, and the items never sent are reported.
const SEND_LIMIT_MS = 2 * SECONDS * 1000;
const PROJECT = `bench-${Date.now()}`;

const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const round = (n: number) => Math.round(n * 10) / 10;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// The receiver: answers 204 at once and records when each request arrived.
const stageLatency: number[] = [];
/** Per stage receipt: its delivery (webhook-id), item, stage entry and arrival, for the legs below. */
const stageReceipts: { deliveryId: string; itemId: string; enteredAt: number; received: number }[] = [];
const statusLatency: number[] = [];
let rawReceived = 0;
const readBody = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => resolve(body));
  });
const receiver = createServer((req, res) => {
  const received = Date.now();
  void readBody(req).then((body) => {
    res.writeHead(204).end();
    if (req.url === '/raw') return void rawReceived++;
    const parsed = JSON.parse(body) as { type?: string; timestamp?: string; data?: { itemId?: string } };
    const lag = received - Date.parse(parsed.timestamp ?? '');
    if (req.url === '/stage') {
      stageLatency.push(lag);
      const deliveryId = req.headers['webhook-id'];
      const itemId = parsed.data?.itemId;
      if (typeof deliveryId === 'string' && itemId) stageReceipts.push({ deliveryId, itemId, enteredAt: Date.parse(parsed.timestamp ?? ''), received });
    } else if (req.url === '/status' && parsed.type === 'item.status.changed') statusLatency.push(lag);
  });
});
await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;

/**
 * CPU time (user + system, ms) each part of the platform has used so far, from /proc: the four
 * services, PostgreSQL's processes, the NATS server, and this bench (load and receiver). On a
 * machine without /proc, empty. PostgreSQL's connections that closed in between are not counted.
 */
const TICK_MS = existsSync('/proc') ? 1000 / Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) : 10;
function cpuMsOfPid(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return 0;
  }
}
function cpuByPart(): Record<string, number> {
  if (!existsSync('/proc')) return {};
  const out: Record<string, number> = {};
  for (const name of SERVICE_NAMES) {
    const pid = platform.pid(name);
    if (pid !== undefined) out[name] = cpuMsOfPid(pid);
  }
  out.postgres = 0;
  out.nats = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let comm: string;
    try {
      comm = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
    } catch {
      continue;
    }
    if (comm === 'postgres') out.postgres += cpuMsOfPid(Number(entry));
    else if (comm === 'nats-server') out.nats += cpuMsOfPid(Number(entry));
  }
  const own = process.cpuUsage();
  out.bench = (own.user + own.system) / 1000;
  return out;
}

/** Until no durable consumer of the platform's namespace has messages pending or unacked (true), or `ms` passed (false). */
async function quiet(ms: number): Promise<boolean> {
  const jsm = await jetstreamManager(nc);
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    let busy = 0;
    for await (const stream of jsm.streams.list()) {
      if (!stream.config.name.startsWith(`${platform.namespace}_`)) continue;
      for await (const c of jsm.consumers.list(stream.config.name)) busy += c.num_pending + c.num_ack_pending;
    }
    if (busy === 0) return true;
    await sleep(250);
  }
  return false;
}

// BENCH_NODE_ARGS='--cpu-prof --cpu-prof-dir=prof' shows where each service's time goes (written
// when the services stop at the end).
const platform = await Platform.start({
  env: { workflow: { LOG_LEVEL: 'warn' }, items: { LOG_LEVEL: 'warn' }, webhooks: { LOG_LEVEL: 'warn' }, delivery: { LOG_LEVEL: 'warn' } },
  nodeArgs: (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean),
});
const nc = await connect({ servers: testEnv.natsUrl });
let stopping: Promise<void> | undefined;
const shutdown = () =>
  (stopping ??= nc
    .drain()
    .then(() => platform.stop())
    .finally(() => receiver.close()));
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => void shutdown().finally(() => process.exit(130)));
try {
  const { webhooks, items: itemsApi, workflow: wf } = platform.sdk(PROJECT);
  const stageEndpoint = await ok(webhooks.POST('/endpoints', { body: { name: 'bench stage', url: `${receiverUrl}/stage`, includeAnnotations: true } }));
  await ok(webhooks.POST('/endpoints', { body: { name: 'bench status', url: `${receiverUrl}/status`, eventTypes: ['item.status.changed'], includeAnnotations: false } }));
  const workflow = await ok<WorkflowView>(wf.POST('/workflows/template', { body: { name: 'Bench', endpointId: stageEndpoint.id } }));
  const stageOf = (type: string) => workflow.stages.find((s) => s.type === type)!.id;
  const webhookStage = stageOf('webhook');
  const reviewStage = stageOf('review');

  // Stage entries off the bus: webhook entry time per item, then the review entry after it.
  const webhookEntered = new Map<string, number>();
  /** When each webhook stage entry reached the bus (this subscription): the relay's leg ends there. */
  const webhookOnBus = new Map<string, number>();
  const toReview: number[] = [];
  // The namespace prefixes every subject (BusNamespace.subject in @stagehook/contracts).
  const sub = nc.subscribe(`${platform.namespace}.workflow.stage.entered`);
  void (async () => {
    for await (const m of sub) {
      const { data } = m.json<{ data: { stageId: string; itemId: string; enteredAt: string } }>();
      if (data.stageId === webhookStage) {
        webhookEntered.set(data.itemId, Date.parse(data.enteredAt));
        webhookOnBus.set(data.itemId, Date.now());
      } else if (data.stageId === reviewStage) {
        const from = webhookEntered.get(data.itemId);
        if (from !== undefined) toReview.push(Date.parse(data.enteredAt) - from);
      }
    }
  })();

  // Setup, not measured: a dataset, the items registered and added to the workflow.
  const dataset = await ok<{ id: string }>(itemsApi.POST('/datasets', { body: { name: `Bench ${PROJECT}` } }));
  const ids: string[] = [];
  for (let done = 0; done < TOTAL; done += 1000) {
    const specs = Array.from({ length: Math.min(1000, TOTAL - done) }, (_, i) => ({ name: `item-${done + i}.jpg`, path: '/', width: 640, height: 480, metadata: {} }));
    const { items } = await ok<{ items: { id: string }[] }>(itemsApi.POST('/items', { body: { datasetId: dataset.id, items: specs } }));
    ids.push(...items.map((i) => i.id));
    await ok(wf.POST('/workflows/{id}/items', { params: { path: { id: workflow.workflowId } }, body: { itemIds: items.map((i) => i.id) } }));
  }
  // What setup set off (item registrations reaching workflow's dataset intake, …) settles before
  // the clock starts: the measured phase carries only its own work.
  const settled = await quiet(60_000);
  if (!settled) console.log('  setup still not settled after 60 s; measuring anyway');
  const command = (itemId: string, cmd: 'start' | 'submit') =>
    ok(wf.POST('/workflows/{id}/items/{itemId}/{command}', { params: { path: { id: workflow.workflowId, itemId, command: cmd } }, body: {} }));
  // Items added to the workflow wait in the dataset stage; their status changes start with `start`.
  statusLatency.length = 0;

  console.log(
    `bench:e2e — ${TOTAL} items at ${RATE}/s for ${SECONDS} s on ${cpus().length} cpus (load ${(await import('node:os'))
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')})`,
  );
  const cpuBefore = cpuByPart();
  const t0 = performance.now();
  let inFlight = 0;
  let maxBehind = 0;
  let failed = 0;
  let sent = 0;
  const running: Promise<void>[] = [];
  const progress = setInterval(() => console.log(`  ${sent} sent, ${inFlight} in flight, ${stageLatency.length} stage receipts, ${toReview.length} in review`), 5000);
  for (let i = 0; i < TOTAL && performance.now() - t0 < SEND_LIMIT_MS; i++, sent++) {
    const due = t0 + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    while (inFlight >= MAX_IN_FLIGHT) await sleep(5);
    maxBehind = Math.max(maxBehind, performance.now() - due);
    inFlight++;
    running.push(
      (async () => {
        try {
          await command(ids[i], 'start');
          await command(ids[i], 'submit');
        } catch {
          failed++;
        } finally {
          inFlight--;
        }
      })(),
    );
  }
  await Promise.all(running);
  const sentS = (performance.now() - t0) / 1000;
  const deadline = Date.now() + DRAIN_MS;
  while (Date.now() < deadline && (stageLatency.length < sent - failed || toReview.length < sent - failed)) await sleep(200);
  clearInterval(progress);
  sub.unsubscribe();
  // CPU per item over the measured phase and its drain: what each part costs an item end to end.
  const cpuAfter = cpuByPart();
  const cpuMsPerItem = Object.fromEntries(Object.entries(cpuAfter).map(([part, ms]) => [part, round((ms - (cpuBefore[part] ?? 0)) / Math.max(1, sent))]));

  // Raw baseline, same run: bare POSTs to the same receiver, one at a time.
  const rawLatency: number[] = [];
  for (let i = 0; i < 500; i++) {
    const t = performance.now();
    await fetch(`${receiverUrl}/raw`, { method: 'POST', body: '{"type":"raw"}', headers: { 'content-type': 'application/json' } });
    rawLatency.push(performance.now() - t);
  }

  // Where a stage receipt's time goes, on up to 200 receipts spread over the run: stage entry →
  // on the bus (append, commit, relay); → delivery created (delivery's pull, the item's Darwin
  // export from items, the intake transaction: created_at is its start); → first attempt sent
  // (commit, dispatcher wake-up, claim); → receipt (HTTP).
  const call = platform.client(PROJECT);
  const legs = { toBus: [] as number[], toIntake: [] as number[], toAttempt: [] as number[], toReceipt: [] as number[] };
  const step = Math.max(1, Math.floor(stageReceipts.length / 200));
  for (let i = 0; i < stageReceipts.length; i += step) {
    const r = stageReceipts[i];
    const onBus = webhookOnBus.get(r.itemId);
    const d = await call<{ createdAt?: string }>('delivery', 'GET', `/deliveries/${r.deliveryId}`);
    const a = await call<{ data?: { startedAt: string }[] }>('delivery', 'GET', `/deliveries/${r.deliveryId}/attempts`);
    const created = Date.parse(d.body.createdAt ?? '');
    const attempted = Date.parse(a.body.data?.[0]?.startedAt ?? '');
    if (onBus === undefined || !Number.isFinite(created) || !Number.isFinite(attempted)) continue;
    legs.toBus.push(onBus - r.enteredAt);
    legs.toIntake.push(created - onBus);
    legs.toAttempt.push(attempted - created);
    legs.toReceipt.push(r.received - attempted);
  }
  const legP50 = (xs: number[]) => pct(xs, 50);

  const figures = {
    seconds: SECONDS,
    rate: RATE,
    items: TOTAL,
    sent,
    // Items whose two commands finished, per second of the feeding phase: what the platform took.
    achievedRate: round(sent / sentS),
    maxBehindMs: Math.round(maxBehind),
    commandFailures: failed,
    stageReceipts: stageLatency.length,
    stageToReceiptP50: pct(stageLatency, 50),
    stageToReceiptP99: pct(stageLatency, 99),
    statusReceipts: statusLatency.length,
    statusToReceiptP50: pct(statusLatency, 50),
    statusToReceiptP99: pct(statusLatency, 99),
    reviews: toReview.length,
    stageToReviewP50: pct(toReview, 50),
    stageToReviewP99: pct(toReview, 99),
    stageLegsP50: { toBus: legP50(legs.toBus), toIntake: legP50(legs.toIntake), toAttempt: legP50(legs.toAttempt), toReceipt: legP50(legs.toReceipt), sampled: legs.toBus.length },
    cpuMsPerItem,
    rawPostP50: round(pct(rawLatency, 50)),
    rawPostP99: round(pct(rawLatency, 99)),
  };
  console.table([
    { path: 'stage entry → receipt', n: figures.stageReceipts, p50: `${figures.stageToReceiptP50} ms`, p99: `${figures.stageToReceiptP99} ms`, aim: 'p50 ≤ 30 ms, p99 ≤ 150 ms' },
    {
      path: 'status change → receipt',
      n: figures.statusReceipts,
      p50: `${figures.statusToReceiptP50} ms`,
      p99: `${figures.statusToReceiptP99} ms`,
      aim: 'p50 ≤ 30 ms, p99 ≤ 150 ms',
    },
    { path: 'stage entry → review (succeeded)', n: figures.reviews, p50: `${figures.stageToReviewP50} ms`, p99: `${figures.stageToReviewP99} ms`, aim: 'p50 ≤ 60 ms' },
    { path: 'raw: bare POST to the receiver', n: rawLatency.length, p50: `${figures.rawPostP50} ms`, p99: `${figures.rawPostP99} ms`, aim: '' },
  ]);
  console.log(
    `stage entry → receipt, p50 of each leg over ${legs.toBus.length} receipts: → on the bus ${figures.stageLegsP50.toBus} ms, → delivery created ${figures.stageLegsP50.toIntake} ms, → first attempt ${figures.stageLegsP50.toAttempt} ms, → receipt ${figures.stageLegsP50.toReceipt} ms`,
  );
  const cpuTotal = round(Object.values(cpuMsPerItem).reduce((a, b) => a + b, 0));
  console.log(
    `CPU per item (ms), measured phase and drain: ${Object.entries(cpuMsPerItem)
      .map(([part, ms]) => `${part} ${ms}`)
      .join(', ')}; total ${cpuTotal} (${cpus().length} cpus give ${round((cpus().length * 1000) / RATE)} ms per item at ${RATE}/s)`,
  );
  console.log(
    `sent ${sent} of ${TOTAL} items, their commands done at ${figures.achievedRate} items/s (asked ${RATE}/s; at most ${figures.maxBehindMs} ms behind schedule), ${failed} command failures`,
  );
  console.log(JSON.stringify(figures));
} finally {
  await shutdown();
}
