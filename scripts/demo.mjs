// The demo `npm start` runs once the services are healthy: a project with the seed workflow
// (dataset → annotate → webhook → review → complete; failed → review; reject → annotate), two
// endpoints on the sample receiver, 200 items annotated with a mix of shapes and moved through.
// It talks to the services over HTTP only, through the typed client (@stagehook/sdk), like a
// user's own code would.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const ITEMS = Number(process.env.DEMO_ITEMS ?? 200);
const EXPECTED_PER_ITEM = 10;
const PARALLEL = 16;

/** A new project per run, so a second `npm start` shows a clean demo beside the first. */
export function demoProjectId(now = new Date()) {
  return `demo-${now.toISOString().slice(0, 19).replace(/[-:T]/g, '')}`;
}

export async function runDemo({ root, urls, secrets, receiverPort, startProcess, restarts, trainingRuns, projectId = demoProjectId() }) {
  const { mintProjectToken } = await import(pathToFileURL(join(root, 'packages/platform/dist/index.js')).href);
  const { createStagehookClient, ok } = await import(pathToFileURL(join(root, 'packages/sdk/dist/index.js')).href);
  const token = mintProjectToken({ projectId, secret: secrets.AUTH_TOKEN_SECRETS.split(',')[0], ttlSeconds: 7 * 24 * 3600 });
  const api = createStagehookClient({ baseUrl: urls, token });
  const { webhooks, items: itemsApi, workflow: wf } = api;
  const receiverUrl = `http://127.0.0.1:${receiverPort}`;
  const step = (msg) => process.stdout.write(`\x1b[1m▸ ${msg}\x1b[0m\n`);

  step(`demo project ${projectId}`);
  console.log(`  token (valid 7 days): ${token}`);

  const stageEndpoint = await ok(
    webhooks.POST('/endpoints', {
      body: {
        name: 'Annotation QA receiver',
        description: 'Counts annotations and tags items that miss some',
        url: `${receiverUrl}/stage`,
        authorization: 'Bearer demo-receiver-token',
        includeAnnotations: true,
      },
    }),
  );
  const statusEndpoint = await ok(
    webhooks.POST('/endpoints', {
      body: { name: 'Status changes (Hasty-style)', url: `${receiverUrl}/status`, eventTypes: ['item.status.changed'], includeAnnotations: false },
    }),
  );
  // An internal service's own event type (issue 18): registered in the catalogue, subscribed to
  // with a wildcard, published by examples/training-runs through its outbox.
  const { TRAINING_COMPLETED_TYPE } = await import(pathToFileURL(join(root, 'examples/training-runs/dist/catalogue.js')).href);
  await ok(webhooks.POST('/event-types', { body: TRAINING_COMPLETED_TYPE }));
  const trainingEndpoint = await ok(
    webhooks.POST('/endpoints', {
      body: { name: 'ML team: training runs', url: `${receiverUrl}/training`, eventTypes: ['model.training.*'], includeAnnotations: false },
    }),
  );
  const revealed = await Promise.all(
    [stageEndpoint, statusEndpoint, trainingEndpoint].map((e) => ok(webhooks.POST('/endpoints/{id}/secret/reveal', { params: { path: { id: e.id } } }))),
  );

  step(`sample receiver on ${receiverUrl}`);
  await startProcess(
    'receiver',
    join('examples', 'receiver', 'dist', 'main.js'),
    {
      PORT: String(receiverPort),
      WEBHOOK_SECRETS: revealed.map((r) => r.secret).join(','),
      EXPECTED_AUTHORIZATION: 'Bearer demo-receiver-token',
      ITEMS_URL: urls.items,
      ITEMS_TOKEN: token,
      FLAKY_PERCENT: '20',
      BROKEN_PERCENT: '4',
    },
    `${receiverUrl}/health`,
  );

  if (trainingRuns) await trainingRunDemo({ step, startProcess, trainingRuns, projectId, receiverUrl });

  const ping = await ok(webhooks.POST('/endpoints/{id}/test', { params: { path: { id: stageEndpoint.id } } }));
  console.log(`  test ping: HTTP ${ping.statusCode ?? ping.status ?? '?'} in ${ping.latencyMs ?? '?'} ms`);

  const workflow = await ok(wf.POST('/workflows/template', { body: { name: 'Screws QA', endpointId: stageEndpoint.id } }));
  const dataset = await ok(itemsApi.POST('/datasets', { body: { name: `Screw boxes ${projectId}` } }));
  const workflowId = workflow.workflowId;
  step(`workflow ${workflowId}: ${workflow.stages.map((s) => s.name).join(' → ')}`);
  const command = (itemId, cmd, body = {}) => ok(wf.POST('/workflows/{id}/items/{itemId}/{command}', { params: { path: { id: workflowId, itemId, command: cmd } }, body }));

  step(`registering and annotating ${ITEMS} items`);
  const specs = Array.from({ length: ITEMS }, (_, i) => ({
    name: `box-${String(i + 1).padStart(4, '0')}.jpg`,
    path: '/boxes',
    width: 1920,
    height: 1080,
    metadata: { expected_annotations: EXPECTED_PER_ITEM, product: 'screws' },
  }));
  const { items } = await ok(itemsApi.POST('/items', { body: { datasetId: dataset.id, items: specs } }));
  const bar = progress(ITEMS * 3);
  // Every 7th item is short of annotations (the receiver tags it); every 25th is urgent.
  const annotatedCount = (i) => (i % 7 === 3 ? EXPECTED_PER_ITEM - 2 : EXPECTED_PER_ITEM);
  const versions = new Map();
  await pool(items, async (item, i) => {
    const path = { itemId: item.id };
    const { version } = await ok(itemsApi.POST('/items/{itemId}/annotations/bulk', { params: { path }, body: { annotations: shapes(annotatedCount(i), i) } }));
    versions.set(item.id, version);
    if (i % 25 === 0) versions.set(item.id, (await ok(itemsApi.POST('/items/{itemId}/tags', { params: { path }, body: { name: 'urgent' } }))).version);
    bar.tick();
  });

  await ok(wf.POST('/workflows/{id}/items', { params: { path: { id: workflowId } }, body: { itemIds: items.map((i) => i.id) } }));
  await pool(items, async (item) => {
    await command(item.id, 'start');
    bar.tick();
  });
  await pool(items, async (item) => {
    await command(item.id, 'submit', { itemVersion: versions.get(item.id) });
    bar.tick();
  });
  bar.done();

  const stageId = (type) => workflow.stages.find((s) => s.type === type).id;
  step('waiting for the webhook stage (retries included)');
  await waitUntilEmpty(api, ok, workflowId, stageId('webhook'), ITEMS);

  step('review: reject what the receiver tagged "missing annotations", approve the rest');
  let rejected = 0;
  await pool(await inStage(api, ok, workflowId, stageId('review')), async (pos) => {
    const item = await ok(itemsApi.GET('/items/{itemId}', { params: { path: { itemId: pos.itemId } } }));
    if (item.tags?.includes('missing annotations')) {
      await command(pos.itemId, 'reject');
      rejected++;
    } else {
      await command(pos.itemId, 'approve');
    }
  });
  console.log(`  rejected ${rejected} back to annotate`);

  if (rejected > 0) {
    step('annotators fix the rejected items and submit them again');
    await pool(await inStage(api, ok, workflowId, stageId('annotate')), async (pos) => {
      const path = { itemId: pos.itemId };
      await ok(itemsApi.POST('/items/{itemId}/annotations/bulk', { params: { path }, body: { annotations: shapes(2, 1) } }));
      const { version } = await ok(itemsApi.DELETE('/items/{itemId}/tags/{name}', { params: { path: { ...path, name: 'missing annotations' } } }));
      await command(pos.itemId, 'submit', { itemVersion: version });
    });
    await waitUntilEmpty(api, ok, workflowId, stageId('webhook'), rejected);
    await pool(await inStage(api, ok, workflowId, stageId('review')), (pos) => command(pos.itemId, 'approve'));
  }

  // Status-change deliveries trail the workflow a little; let them land before the summary.
  await sleep(3000);
  await summary(api, ok, workflowId, receiverUrl);
  const restarted = Object.entries(restarts()).filter(([, n]) => n > 0);
  console.log(`Process restarts: ${restarted.length ? restarted.map(([name, n]) => `${name} ${n}`).join(', ') : 'none'}`);
  return { projectId, token };
}

/** The example publisher: a training run completes in its database, and its event reaches the receiver. */
async function trainingRunDemo({ step, startProcess, trainingRuns, projectId, receiverUrl }) {
  const base = `http://127.0.0.1:${trainingRuns.port}`;
  step(`example publisher (training runs) on ${base}`);
  await startProcess(
    'training-runs',
    join('examples', 'training-runs', 'dist', 'main.js'),
    {
      PORT: String(trainingRuns.port),
      DATABASE_URL: trainingRuns.databaseUrl,
      NATS_URL: trainingRuns.natsUrl,
      BUS_NAMESPACE: trainingRuns.busNamespace,
      PROJECT_ID: projectId,
    },
    `${base}/health`,
  );
  const post = async (path, body) => {
    const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`POST ${base}${path} → ${res.status} ${await res.text()}`);
    return res.json();
  };
  const run = await post('/runs', { model: 'screw-detector' });
  await post(`/runs/${run.id}/complete`, { accuracy: 0.94, epochs: 30 });
  const deadline = Date.now() + 30_000;
  for (;;) {
    const stats = await (await fetch(`${receiverUrl}/stats`)).json();
    if ((stats.byType['model.training.completed'] ?? 0) > 0) break;
    if (Date.now() > deadline) throw new Error('model.training.completed did not reach the sample receiver within 30 s');
    await sleep(200);
  }
  console.log(`  run ${run.id} completed → model.training.completed (outbox → bus → registry → delivery) reached ${receiverUrl}/training, signed`);
}

/** A mix of Darwin shapes; `n` counts the shapes a receiver would count (tags excluded). */
function shapes(n, seed) {
  const out = [];
  for (let k = 0; k < n; k++) {
    const x = 40 + ((seed * 37 + k * 151) % 1700);
    const y = 30 + ((seed * 53 + k * 97) % 950);
    switch (k % 5) {
      case 0:
        out.push({ name: 'screw', bounding_box: { x, y, w: 42, h: 18 } });
        break;
      case 1:
        out.push({
          name: 'screw',
          polygon: {
            paths: [
              [
                { x, y },
                { x: x + 40, y },
                { x: x + 40, y: y + 16 },
                { x, y: y + 16 },
              ],
            ],
          },
        });
        break;
      case 2:
        out.push({
          name: 'screw_axis',
          line: {
            path: [
              { x, y },
              { x: x + 38, y: y + 4 },
            ],
          },
        });
        break;
      case 3:
        out.push({ name: 'screw_head', keypoint: { x, y } });
        break;
      default:
        out.push({ name: 'washer', ellipse: { center: { x, y }, radius: { x: 12, y: 9 }, angle: 0.3 } });
    }
  }
  out.push({ name: 'inspected', tag: {} });
  return out;
}

async function inStage(api, ok, workflowId, stageId) {
  const all = [];
  let after;
  for (;;) {
    const { items } = await ok(
      api.workflow.GET('/workflows/{id}/stages/{stageId}/items', { params: { path: { id: workflowId, stageId }, query: { limit: 100, ...(after ? { after } : {}) } } }),
    );
    all.push(...items);
    if (items.length < 100) return all;
    after = items[items.length - 1].itemId;
  }
}

async function waitUntilEmpty(api, ok, workflowId, webhookStageId, expected) {
  const bar = progress(expected);
  const deadline = Date.now() + 180_000;
  for (;;) {
    const { stages } = await ok(api.workflow.GET('/workflows/{id}/stages', { params: { path: { id: workflowId } } }));
    const waiting = stages.find((s) => s.stageId === webhookStageId)?.count ?? 0;
    bar.set(expected - waiting);
    if (waiting === 0) return bar.done();
    if (Date.now() > deadline) {
      bar.done();
      throw new Error(`${waiting} items still in the webhook stage after 3 minutes`);
    }
    await sleep(250);
  }
}

async function summary(api, ok, workflowId, receiverUrl) {
  const { stages } = await ok(api.workflow.GET('/workflows/{id}/stages', { params: { path: { id: workflowId } } }));
  console.log('\nItems per stage');
  console.table(Object.fromEntries(stages.map((s) => [s.stageName, { type: s.stageType, items: s.count }])));

  const outcomes = {};
  let cursor;
  do {
    const page = await ok(api.delivery.GET('/deliveries', { params: { query: { limit: 200, ...(cursor ? { cursor } : {}) } } }));
    for (const d of page.data) {
      const key = `${d.eventType ?? d.event_type ?? 'event'} · ${d.status}`;
      outcomes[key] = (outcomes[key] ?? 0) + 1;
    }
    cursor = page.nextCursor;
  } while (cursor);
  console.log('Deliveries by outcome');
  console.table(outcomes);

  const stats = await (await fetch(`${receiverUrl}/stats`)).json();
  const lat = [...stats.latenciesMs].sort((a, b) => a - b);
  const pct = (p) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))] : null);
  console.log('Receiver');
  console.table({
    'requests received': stats.received,
    'accepted (unique webhook-id)': stats.accepted,
    'answered 500 on purpose': stats.failedOnPurpose,
    'retries of accepted deliveries': stats.duplicates,
    'bad signature / bad authorization': `${stats.rejectedSignature} / ${stats.rejectedAuthorization}`,
    'annotations counted': stats.annotationsCounted,
    'items tagged "missing annotations"': stats.taggedMissing,
    'urgent notifications': stats.notifications,
    'latency p50 / p99 (event → receipt)': `${pct(50)} ms / ${pct(99)} ms`,
  });
}

async function pool(list, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(PARALLEL, list.length) }, async () => {
      while (next < list.length) {
        const i = next++;
        await fn(list[i], i);
      }
    }),
  );
}

function progress(total) {
  let n = 0;
  const tty = process.stdout.isTTY;
  const draw = () => {
    const width = 30;
    const filled = Math.round((n / Math.max(1, total)) * width);
    const line = `  [${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${n}/${total}`;
    if (tty) process.stdout.write(`\r${line}`);
  };
  draw();
  return {
    tick() {
      n++;
      draw();
    },
    set(v) {
      n = v;
      draw();
    },
    done() {
      n = Math.max(n, 0);
      if (tty) process.stdout.write('\n');
      else process.stdout.write(`  ${n}/${total}\n`);
    },
  };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
