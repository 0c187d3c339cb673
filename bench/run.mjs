#!/usr/bin/env node
// `npm run bench`: every bench in sequence at moderate sizes (the whole run stays near ten
// minutes on two cores), then bench/results.md with the figures of this run: date, machine, load,
// and per path ours / raw baseline of the same run / ratio beside the aim of issue 15. Each bench
// still prints its own table; its last stdout line (JSON) is what is read here. Sizes can be
// raised with the benches' own variables (BENCH_EVENTS, BENCH_APPENDS, BENCH_N, BENCH_ITEMS) and
// BENCH_E2E_SECONDS.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const env = (name, fallback) => process.env[name] ?? fallback;

const BENCHES = [
  { name: 'event-store', workspace: '@stagehook/event-store', env: { BENCH_EVENTS: env('BENCH_EVENTS', '5000') } },
  { name: 'items', workspace: '@stagehook/items', env: { BENCH_APPENDS: env('BENCH_APPENDS', '1000'), BENCH_BIG_APPENDS: env('BENCH_BIG_APPENDS', '200') } },
  { name: 'delivery', workspace: '@stagehook/delivery', env: { BENCH_N: env('BENCH_N', '3000') } },
  { name: 'workflow', workspace: '@stagehook/workflow', env: { BENCH_ITEMS: env('BENCH_ITEMS', '200') } },
  { name: 'e2e', workspace: '@stagehook/e2e', env: {}, args: ['--seconds', env('BENCH_E2E_SECONDS', '20')] },
  // The same below what two shared cores carry: the latency of each path rather than a backlog's.
  { name: 'e2e-20', workspace: '@stagehook/e2e', env: {}, args: ['--seconds', env('BENCH_E2E_SECONDS', '20'), '--rate', '20'] },
];

const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

let current;
// Ctrl-C / SIGTERM reach the running bench (bench:e2e then stops its services and drops its
// databases); the figures so far are already in bench/results.md.
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    current?.kill(sig);
    setTimeout(() => process.exit(130), 30_000).unref();
  });
}

function run(cmd, args, extraEnv = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, env: { ...process.env, ...extraEnv }, stdio: ['ignore', 'pipe', 'inherit'] });
    current = child;
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (c) => {
      out += c;
      process.stdout.write(c);
    });
    child.on('exit', (code) => resolve({ code, out }));
  });
}

/** The last stdout line that parses as a JSON object: every bench ends with one. */
function lastJson(out) {
  const lines = out.trim().split('\n').reverse();
  for (const l of lines) {
    if (!l.startsWith('{')) continue;
    try {
      return JSON.parse(l);
    } catch {
      // not the figures line
    }
  }
  return undefined;
}

const started = new Date();
const build = await run('npx', ['turbo', 'run', 'build', '--filter=@stagehook/e2e...', '--output-logs=errors-only']);
if (build.code !== 0) process.exit(build.code ?? 1);

const results = {};
for (const b of BENCHES) {
  console.log(`\n▸ bench ${b.name} (load ${load()})`);
  const before = load();
  const t = Date.now();
  const { code, out } = await run('npm', ['run', 'bench', `--workspace=${b.workspace}`, '--', ...(b.args ?? [])], b.env);
  results[b.name] = { code, figures: lastJson(out), seconds: Math.round((Date.now() - t) / 1000), loadBefore: before, loadAfter: load() };
  writeResults();
}
console.log(`\nwrote bench/results.md`);
const failedBenches = Object.entries(results).filter(([, r]) => r.code !== 0);
process.exit(failedBenches.length > 0 ? 1 : 0);

/** bench/results.md from the benches run so far: a run cut short still leaves its figures. */
function writeResults() {
  const n = (v, d = 2) => (typeof v === 'number' && Number.isFinite(v) ? String(Math.round(v * 10 ** d) / 10 ** d) : '—');
  const rows = [];
  const row = (bench, path, ours, raw, ratio, aim) => rows.push(`| ${bench} | ${path} | ${ours} | ${raw} | ${ratio} | ${aim} |`);
  const es = results['event-store']?.figures ?? {};
  row('event-store', 'append, 1 event/tx (events/s)', n(es.append_single_per_s, 0), n(es.raw_pg_single_per_s, 0), n(es.append_single_ratio), '≥ 0.5');
  row('event-store', 'append, batched (events/s)', n(es.append_batched_events_per_s, 0), n(es.raw_pg_batched_events_per_s, 0), n(es.append_batched_ratio), '≥ 0.8');
  row('event-store', 'relay → JetStream (events/s)', n(es.relay_publish_per_s, 0), n(es.raw_jetstream_publish_per_s, 0), n(es.relay_ratio), '≥ 0.8');
  const it = results.items?.figures ?? {};
  row('items', 'one annotation per command (/s)', n(it.appendsPerSecond, 0), n(it.rawInsertsPerSecond, 0), n(it.appendVsRaw), '≥ 0.3');
  row('items', `command on an item with ${it.big ?? '?'} annotations (ms) vs fresh item`, n(it.bigCommandMs), n(it.freshCommandMs), n(it.bigVsFresh), '≤ 1.5');
  row('items', 'export of 1,000 annotations (ms) vs raw SELECT', n(it.exportMs), n(it.rawSelectMs), n(it.exportVsRawSelect), '—');
  const de = results.delivery?.figures ?? {};
  row('delivery', '1 replica (deliveries/s)', n(de.oneReplica?.perSecond, 0), n(de.rawCeilingPerSecond, 0), n(de.ratioOneReplicaToRaw), '≥ 0.30');
  row('delivery', '2 replicas (deliveries/s)', n(de.twoReplicas?.perSecond, 0), n(de.rawCeilingPerSecond, 0), n(de.ratioTwoReplicasToRaw), '≥ 1 replica');
  row('delivery', 'paced at half rate, event → receipt p50 / p99 (ms)', `${n(de.pacedAtHalfRate?.p50, 0)} / ${n(de.pacedAtHalfRate?.p99, 0)}`, '—', '—', 'p99 ≤ 50 ms');
  row(
    'delivery',
    'one hanging endpoint of 10, healthy p99 (ms) vs paced p99',
    n(de.hangingEndpoint?.healthyP99, 0),
    n(de.pacedAtHalfRate?.p99, 0),
    n(de.hangingEndpoint?.healthyP99 / de.pacedAtHalfRate?.p99),
    '≤ 1.2 (at half rate)',
  );
  const wf = results.workflow?.figures ?? {};
  row('workflow', 'items through the template (items/s)', n(wf.itemsThroughTemplatePerSecond, 1), n(wf.rawPgItemsPerSecond, 0), n(wf.serviceVsRawPg), '≥ 0.5; mean step ≤ 15 ms');
  const e2e = results.e2e?.figures ?? {};
  row(
    'e2e',
    `stage entry → receipt p50 / p99 (ms), ${n(e2e.achievedRate, 1)} of ${e2e.rate ?? '?'} items/s`,
    `${n(e2e.stageToReceiptP50, 0)} / ${n(e2e.stageToReceiptP99, 0)}`,
    `bare POST ${n(e2e.rawPostP50, 1)} / ${n(e2e.rawPostP99, 1)}`,
    '—',
    'p50 ≤ 30, p99 ≤ 150',
  );
  row('e2e', 'status change → receipt p50 / p99 (ms)', `${n(e2e.statusToReceiptP50, 0)} / ${n(e2e.statusToReceiptP99, 0)}`, '—', '—', 'p50 ≤ 30, p99 ≤ 150');
  row('e2e', 'stage entry → review after succeeded p50 / p99 (ms)', `${n(e2e.stageToReviewP50, 0)} / ${n(e2e.stageToReviewP99, 0)}`, '—', '—', 'p50 ≤ 60');
  const slow = results['e2e-20']?.figures ?? {};
  row(
    'e2e',
    `at ${slow.rate ?? '?'} items/s (${n(slow.achievedRate, 1)} achieved): stage → receipt, status → receipt, stage → review p50 / p99 (ms)`,
    `${n(slow.stageToReceiptP50, 0)} / ${n(slow.stageToReceiptP99, 0)}, ${n(slow.statusToReceiptP50, 0)} / ${n(slow.statusToReceiptP99, 0)}, ${n(slow.stageToReviewP50, 0)} / ${n(slow.stageToReviewP99, 0)}`,
    `bare POST ${n(slow.rawPostP50, 1)} / ${n(slow.rawPostP99, 1)}`,
    '—',
    'as above',
  );

  const cpu = cpus();
  const md = `# Bench results (last \`npm run bench\`)

- Date: ${started.toISOString()} (${Object.keys(results).length} of ${BENCHES.length} benches, took ${Math.round((Date.now() - started.getTime()) / 1000)} s)
- Machine: ${cpu.length} × ${cpu[0]?.model ?? 'unknown cpu'}, Node ${process.version}, ${process.platform}
- Sizes: ${BENCHES.map(
    (b) =>
      `${b.name} ${
        Object.entries(b.env)
          .map(([k, v]) => `${k}=${v}`)
          .concat(b.args ?? [])
          .join(' ') || 'defaults'
      }`,
  ).join('; ')}

Ratios are ours / the raw baseline measured in the same run; on a shared machine judge by them,
not by the absolute figures. Load is the 1/5/15-minute load average before and after each bench.

| bench | path | ours | raw | ratio | aim (issue 15) |
| --- | --- | --- | --- | --- | --- |
${rows.join('\n')}

| bench | exit | seconds | load before | load after |
| --- | --- | --- | --- | --- |
${Object.entries(results)
  .map(([k, r]) => `| ${k} | ${r.code} | ${r.seconds} | ${r.loadBefore} | ${r.loadAfter} |`)
  .join('\n')}

<details><summary>Raw JSON of each bench</summary>

\`\`\`json
${JSON.stringify(Object.fromEntries(Object.entries(results).map(([k, r]) => [k, r.figures ?? null])), null, 2)}
\`\`\`
</details>
`;
  writeFileSync(join(root, 'bench', 'results.md'), md);
}
