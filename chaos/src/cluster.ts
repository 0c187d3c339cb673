/**
 * Cluster fault run: the four services on a three-node JetStream cluster of their own (every
 * stream with three replicas, every seed in NATS_URL), a steady load of items through the seed
 * workflow's webhook stage and status changes to an endpoint, while the node leading the DELIVERY
 * stream and then the one leading WORKFLOW are SIGKILLed and restarted. Checks that nothing was
 * lost (every item routed on by its webhook outcome, every status change delivered), that every
 * repeated receipt carries the same webhook-id, and measures per fault how long until an item
 * again goes all the way through the webhook stage with the leader's node down. Prints a table
 * and a last line of JSON; exit code 1 if anything was lost, stuck or mismatched, or if a stream
 * or consumer was born with fewer than three replicas.
 *
 *   npm run chaos:cluster               long form (at least 80 items, ~1.5 min)
 *   npm run chaos:cluster -- --short    short form (at least 24 items, ~1 min)
 * The cluster uses loopback ports 15222-15224 (routes +100, monitoring +200; CHAOS_NATS_PORT
 * moves them) and a temporary store, removed at the end unless the run failed (then it is kept for
 * the nodes' logs, and the run says where); the machine's NATS is not used.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { TestReceiver, until, type RecordedRequest } from '@stagehook/testing';
import { Platform, type ServiceName } from '../../e2e/test/support/platform.js';
import { NatsCluster } from '../../scripts/lib/nats-cluster.mjs';
import { eventOf, groupBy, isOurChange, itemOf, sum } from './receipts.js';

const args = new Set(process.argv.slice(2));
const short = args.has('--short');
/** At least this many items; the load also runs until both faults are over. */
const TOTAL_ITEMS = short ? 24 : 80;
const LOAD_INTERVAL_MS = short ? 500 : 400;
const FAULT_GAP_MS = short ? 4_000 : 10_000;
const started = Date.now();
const log = (msg: string) => console.error(`[cluster +${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface FaultRecord {
  fault: string;
  node: string;
  injectedAt: number;
  /** A new leader was elected for the stream (from the other two nodes). */
  newLeaderMs?: number;
  /** A fresh item went through the webhook stage and on to review while the node was down. */
  recoveryMs?: number;
  /** The killed node was back and healthy. */
  nodeBackMs?: number;
}

async function streamLeader(nc: NatsConnection, stream: string): Promise<string | undefined> {
  const jsm = await jetstreamManager(nc, { timeout: 2_000 });
  return (await jsm.streams.info(stream)).cluster?.leader;
}

async function main(): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), 'stagehook-cluster-'));
  const cluster = new NatsCluster({ dataDir, basePort: Number(process.env.CHAOS_NATS_PORT ?? 15222), size: 3, name: 'stagehook-chaos' });
  let platform: Platform | undefined;
  let nc: NatsConnection | undefined;
  const rx = await TestReceiver.start();
  // Everything this run started, stopped once, whichever way the run ends. A signal leaves little
  // time: `servicesWithinMs` bounds the services' stop, `nodeGraceMs` each node's SIGTERM.
  let cleaning: Promise<void> | undefined;
  let passed = false;
  let interrupted = false;
  const cleanUp = (servicesWithinMs?: number, nodeGraceMs?: number) =>
    (cleaning ??= (async () => {
      // Decided now: a signal arriving during the cleanup of a failed run must not delete its logs.
      const keep = !passed && !interrupted;
      await nc?.close().catch(() => undefined);
      const services = platform?.stop().catch((err: unknown) => log(`stop: ${String(err)}`));
      await (servicesWithinMs === undefined ? services : Promise.race([services, sleep(servicesWithinMs)]));
      await cluster.stop(nodeGraceMs);
      await rx.close();
      // A failed run keeps the nodes' logs and stores: its error names the log to read.
      if (keep) log(`kept the nodes' logs and stores in ${dataDir}`);
      else rmSync(dataDir, { recursive: true, force: true });
    })());
  // The nats-servers run in process groups of their own: a SIGTERM to this run's group (npm test
  // stopping its lane, a CI cancellation) or a Ctrl-C would leave them holding the ports and the
  // store. The services, in this process's group, get the signal themselves.
  const onSignal = (signal: NodeJS.Signals) => {
    log(`${signal}: stopping the cluster`);
    interrupted = true;
    void cleanUp(5_000, 2_000).finally(() => process.exit(128 + constants.signals[signal]));
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
  try {
    await cluster.start();
    log(`cluster up: ${cluster.urls}`);
    const common = { STREAM_REPLICAS: '3' };
    platform = await Platform.start({
      natsUrl: cluster.urls,
      env: {
        workflow: common,
        items: common,
        webhooks: common,
        delivery: { ...common, STAGE_RETRY_SCHEDULE_MS: '0,500,1000,2000,4000,4000,4000,4000,4000,4000', DISPATCH_POLL_MS: '100' },
      },
    });
    const p = platform;
    nc = await connect({ servers: cluster.urls.split(','), maxReconnectAttempts: -1, reconnectTimeWait: 250, name: 'chaos-cluster' });
    const call = p.client('cluster');

    /** HTTP with retries: a refused connection, a 5xx or a timeout while a node is down is tried again. */
    async function req<T = Record<string, unknown>>(
      service: ServiceName,
      method: string,
      path: string,
      body?: unknown,
      accept: number[] = [],
    ): Promise<{ status: number; body: T }> {
      for (let i = 0; ; i++) {
        try {
          const res = await call<T>(service, method, path, body);
          if (res.status < 300 || accept.includes(res.status)) return res;
          if (res.status < 500) throw new Error(`${method} ${service}${path} → ${res.status} ${JSON.stringify(res.body)}`);
        } catch (err) {
          if (err instanceof Error && err.message.includes(' → 4')) throw err;
        }
        if (i > 300) throw new Error(`${method} ${service}${path}: no answer through the faults`);
        await sleep(200);
      }
    }

    // ---- setup --------------------------------------------------------------------------------
    const stageEp = (await req<{ id: string }>('webhooks', 'POST', '/endpoints', { name: 'stage', url: `${rx.url}/stage` })).body.id;
    const statusEp = (await req<{ id: string }>('webhooks', 'POST', '/endpoints', { name: 'status', url: `${rx.url}/status`, eventTypes: ['item.status.changed'] })).body.id;
    for (const id of [stageEp, statusEp]) {
      await until(async () => (await call('delivery', 'GET', `/endpoints/${id}/circuit`)).status === 200, { timeoutMs: 30_000, message: 'delivery knows the endpoints' });
    }
    const wf = (
      await req<{ workflowId: string; stages: { id: string; type: string }[] }>('workflow', 'POST', '/workflows/template', {
        name: 'cluster',
        endpointId: stageEp,
        maxAttempts: 10,
      })
    ).body;
    const stageOf = (type: string) => wf.stages.find((s) => s.type === type)!.id;
    const review = stageOf('review');
    const ds = (await req<{ id: string }>('items', 'POST', '/datasets', { name: 'cluster' })).body;

    async function throughWebhookStage(name: string, withStatus: boolean): Promise<string> {
      const { items } = (await req<{ items: { id: string }[] }>('items', 'POST', '/items', { datasetId: ds.id, items: [{ name, width: 10, height: 10 }] })).body;
      const id = items[0].id;
      // A retried command whose first try did land answers 409: done either way.
      await req('workflow', 'POST', `/workflows/${wf.workflowId}/items`, { itemIds: [id] }, [409]);
      await req('workflow', 'POST', `/workflows/${wf.workflowId}/items/${id}/start`, {}, [409]);
      if (withStatus) {
        await req('items', 'POST', `/items/${id}/status`, { to: 'in_progress', changedBy: 'cluster@example.com' }, [409]);
        statusChanged.push(id);
      }
      await req('workflow', 'POST', `/workflows/${wf.workflowId}/items/${id}/submit`, {}, [409]);
      submitted.push(id);
      return id;
    }
    const inReview = async (id: string) =>
      (await call<{ stageId: string }>('workflow', 'GET', `/workflows/${wf.workflowId}/items/${id}`).catch(() => ({ body: { stageId: '' } }))).body.stageId === review;

    // ---- load ---------------------------------------------------------------------------------
    const submitted: string[] = [];
    const statusChanged: string[] = [];
    const loadErrors: string[] = [];
    // The load goes on until both faults are over, so each fault lands in the middle of it.
    let faultsDone = false;
    const load = (async () => {
      const running: Promise<unknown>[] = [];
      for (let n = 0; (n < TOTAL_ITEMS || !faultsDone) && n < TOTAL_ITEMS * 4; n++) {
        running.push(throughWebhookStage(`load-${n}.jpg`, true).catch((err: unknown) => void loadErrors.push(String(err))));
        await sleep(LOAD_INTERVAL_MS);
      }
      await Promise.all(running);
    })();

    // ---- faults -------------------------------------------------------------------------------
    const faults: FaultRecord[] = [];
    async function killLeaderOf(key: 'DELIVERY' | 'WORKFLOW'): Promise<void> {
      const stream = `${p.namespace}_${key}`;
      const node = await until(() => streamLeader(nc!, stream).catch(() => undefined), { timeoutMs: 30_000, message: `${stream} has a leader` });
      const f: FaultRecord = { fault: `SIGKILL ${key} leader`, node, injectedAt: Date.now() };
      faults.push(f);
      log(`${f.fault}: node ${node}`);
      await cluster.kill(node, 'SIGKILL');
      const probe = (async () => {
        const id = await throughWebhookStage(`probe-${key}.jpg`, false);
        await until(() => inReview(id), { timeoutMs: 120_000, intervalMs: 100, message: `an item through the webhook stage after ${f.fault}` });
        f.recoveryMs = Date.now() - f.injectedAt;
      })();
      const elected = (async () => {
        await until(
          async () => {
            const leader = await streamLeader(nc!, stream).catch(() => undefined);
            return leader !== undefined && leader !== node;
          },
          { timeoutMs: 60_000, intervalMs: 100, message: `a new ${stream} leader` },
        );
        f.newLeaderMs = Date.now() - f.injectedAt;
      })();
      await Promise.all([probe, elected]);
      log(`${f.fault}: new leader after ${f.newLeaderMs} ms, an item through the webhook stage after ${f.recoveryMs} ms (node ${node} still down)`);
      await cluster.restart(node);
      f.nodeBackMs = Date.now() - f.injectedAt;
      log(`node ${node} back after ${f.nodeBackMs} ms`);
    }

    await sleep(FAULT_GAP_MS);
    await killLeaderOf('DELIVERY');
    await sleep(FAULT_GAP_MS);
    await killLeaderOf('WORKFLOW');
    faultsDone = true;
    await load;
    log(`load done: ${submitted.length} items, ${statusChanged.length} status changes, ${loadErrors.length} load errors`);

    // ---- settle and check ---------------------------------------------------------------------
    const notInReview = async () => {
      const out: string[] = [];
      for (const id of submitted) if (!(await inReview(id))) out.push(id);
      return out;
    };
    const statusLost = () => statusChanged.filter((id) => !rx.received('/status').some((r) => isOurChange(r, id)));
    const settleBy = Date.now() + (short ? 60_000 : 180_000);
    while (Date.now() < settleBy && ((await notInReview()).length > 0 || statusLost().length > 0)) await sleep(500);

    const stranded = await notInReview();
    let badVisits = 0;
    for (const id of submitted) {
      const h = await call<{ visits: { stageId: string; outcome: string | null; toStageId: string | null }[] }>(
        'workflow',
        'GET',
        `/workflows/${wf.workflowId}/items/${id}/history`,
      );
      const visits = (h.body.visits ?? []).filter((v) => v.stageId === stageOf('webhook'));
      if (visits.length !== 1 || visits[0].outcome !== 'succeeded' || visits[0].toStageId !== review) badVisits++;
    }
    const ok200 = (rs: RecordedRequest[]) => rs.filter((r) => r.answered === 200).length;
    const stageByEvent = groupBy(rx.received('/stage'), eventOf);
    const statusByEvent = groupBy(rx.received('/status'), eventOf);
    const stageLost = submitted.filter((id) => !rx.received('/stage').some((r) => itemOf(r) === id));
    const duplicates = sum([...stageByEvent.values(), ...statusByEvent.values()].map((rs) => Math.max(0, ok200(rs) - 1)));
    const idMismatch = [...stageByEvent.values(), ...statusByEvent.values()].filter((rs) => new Set(rs.map((r) => r.headers['webhook-id'])).size !== 1).length;
    const lost = stageLost.length + statusLost().length;
    const deadLettered = await p.deadLetters();
    const streams = await cluster.streams();
    // A stream scaled up after its birth, and the consumers made on it meanwhile, keep their birth
    // size in their group's name; NATS 2.9 can fail to catch such a consumer up on a restarted node
    // (ordered consumers, R1 in memory, are not counted).
    const bornSmall = cluster.raftGroups().filter((g) => /^[SC]-R[12]F-/.test(g));
    const replicas = Object.fromEntries(
      Object.entries(streams)
        .filter(([n]) => n.startsWith(`${p.namespace}_`))
        .map(([n, s]) => [n.slice(p.namespace.length + 1), s.replicas]),
    );

    console.table(faults.map((f) => ({ fault: f.fault, node: f.node, newLeaderMs: f.newLeaderMs, recoveryMs: f.recoveryMs ?? 'not recovered', nodeBackMs: f.nodeBackMs })));
    console.table([
      { check: 'items submitted', value: submitted.length },
      { check: 'status changes sent', value: statusChanged.length },
      { check: 'lost (stage + status)', value: lost },
      { check: 'items not routed to review', value: stranded.length },
      { check: 'webhook visits without exactly one succeeded outcome', value: badVisits },
      { check: 'duplicate receipts (same webhook-id)', value: duplicates },
      { check: 'repeats with a different webhook-id', value: idMismatch },
      { check: 'load errors', value: loadErrors.length },
      { check: 'dead letters', value: JSON.stringify(deadLettered) },
      { check: 'stream replicas', value: JSON.stringify(replicas) },
      { check: 'file streams and consumers born below three replicas', value: bornSmall.join(' ') || 0 },
    ]);
    if (loadErrors.length) log(`load errors: ${loadErrors.slice(0, 5).join(' | ')}`);
    // Every stream the platform made, PUBLISHED (owned by the registry, not relayed to) included.
    const allR3 = Object.keys(replicas).length >= 6 && Object.values(replicas).every((r) => r === 3);
    const failed =
      lost > 0 ||
      stranded.length > 0 ||
      badVisits > 0 ||
      idMismatch > 0 ||
      loadErrors.length > 0 ||
      !allR3 ||
      bornSmall.length > 0 ||
      faults.some((f) => f.recoveryMs === undefined);
    console.log(
      JSON.stringify({
        form: short ? 'short' : 'long',
        nodes: cluster.nodes.length,
        events: submitted.length + statusChanged.length,
        deliveries: rx.requests.length,
        lost,
        duplicateReceipts: duplicates,
        idMismatch,
        stranded: stranded.length,
        deadLettered,
        streamReplicas: replicas,
        bornBelowThreeReplicas: bornSmall,
        recoveryMs: Object.fromEntries(faults.map((f) => [`${f.fault} (${f.node})`, f.recoveryMs ?? null])),
        newLeaderMs: Object.fromEntries(faults.map((f) => [`${f.fault} (${f.node})`, f.newLeaderMs ?? null])),
        durationMs: Date.now() - started,
        ok: !failed,
      }),
    );
    passed = !failed;
    return failed ? 1 : 0;
  } finally {
    await cleanUp();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
