#!/usr/bin/env node
// `npm run cluster`: the platform on a three-node JetStream cluster of its own on loopback. Starts
// three nats-server processes (client ports 14222-14224, routes 14322-14324, monitoring
// 14422-14424; stores under <data dir>/nats), then runs `npm start` against them with every seed
// in NATS_URL and STREAM_REPLICAS=3, so every stream (and the document store) has three replicas
// and any one server, the stream leader included, can be lost. Ctrl-C stops the platform first
// (it drains into NATS), then the three servers. The machine's NATS on 4222 is not touched.
//   npm run cluster                 the platform on the cluster, with the demo
//   npm run cluster -- --no-demo    (every `npm start` flag passes through)
//   npm run cluster -- --fresh      start from empty JetStream stores
// Environment: CLUSTER_NATS_PORT (first client port, default 14222), STAGEHOOK_DATA_DIR (default
// .data/cluster), STAGEHOOK_DB_PREFIX (default stagehook_cluster: its own databases, since their
// relay checkpoints name positions in this cluster's streams), and everything `npm start` reads.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { step } from './lib/prepare.mjs';
import { NatsCluster } from './lib/nats-cluster.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const dataDir = process.env.STAGEHOOK_DATA_DIR ?? join(root, '.data', 'cluster');
const natsDir = join(dataDir, 'nats');
const basePort = Number(process.env.CLUSTER_NATS_PORT ?? 14222);

/**
 * Servers a previous run left behind (it was SIGKILLed before it could stop them: they run in
 * their own process group) hold the ports; stop those, and only those: a pid counts only while its
 * command line is a nats-server with a store in this data dir.
 */
async function stopLeftovers() {
  const file = join(natsDir, 'pids.json');
  if (!existsSync(file)) return;
  const stopped = [];
  for (const pid of Object.values(JSON.parse(readFileSync(file, 'utf8')))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmd.includes('nats-server') && cmd.includes(natsDir)) {
        process.kill(pid, 'SIGTERM');
        stopped.push(pid);
        console.log(`  stopping nats-server ${pid}, left by an earlier run`);
      }
    } catch {
      // gone already
    }
  }
  // Their ports are free once they have exited.
  const deadline = Date.now() + 15_000;
  while (stopped.some((pid) => existsSync(`/proc/${pid}`)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  rmSync(file, { force: true });
}

await stopLeftovers();
if (argv.includes('--fresh')) rmSync(natsDir, { recursive: true, force: true });
const cluster = new NatsCluster({ dataDir: natsDir, basePort, size: 3 });

let platform;
let stopping = false;
async function stop(code) {
  if (stopping) return;
  stopping = true;
  if (platform && platform.exitCode === null && platform.signalCode === null) {
    platform.kill('SIGINT');
    await new Promise((r) => platform.once('exit', r));
  }
  step('stopping the NATS cluster');
  await cluster.stop();
  rmSync(join(natsDir, 'pids.json'), { force: true });
  process.exit(code);
}
// Ctrl-C reaches the platform's processes too (same process group); NATS runs in its own and
// goes last, once the services have drained into it.
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

/** Once the services have created their streams, says where each one's leader is. */
async function reportStreams() {
  const deadline = Date.now() + 180_000;
  while (!stopping && Date.now() < deadline) {
    const streams = await cluster.streams();
    const names = Object.keys(streams).sort();
    if (['DEADLETTER', 'DELIVERY', 'ITEMS', 'WEBHOOKS', 'WORKFLOW'].every((s) => names.includes(s) && streams[s].leader)) {
      console.log(`  streams   ${names.map((n) => `${n} R${streams[n].replicas} (leader ${streams[n].leader ?? '?'})`).join(', ')}`);
      return;
    }
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

try {
  step('three-node JetStream cluster');
  await cluster.start();
  writeFileSync(join(natsDir, 'pids.json'), `${JSON.stringify(cluster.pids(), null, 2)}\n`);
  for (const n of cluster.nodes)
    console.log(`  ${n.name}        nats://127.0.0.1:${n.port}   monitoring http://127.0.0.1:${n.monitorPort}   store ${relative(process.cwd(), n.storeDir)}`);
  platform = spawn(process.execPath, [join(root, 'scripts', 'start.mjs'), ...argv.filter((a) => a !== '--fresh')], {
    cwd: root,
    stdio: 'inherit',
    env: {
      ...process.env,
      NATS_URL: cluster.urls,
      STREAM_REPLICAS: '3',
      STAGEHOOK_DATA_DIR: dataDir,
      STAGEHOOK_DB_PREFIX: process.env.STAGEHOOK_DB_PREFIX ?? 'stagehook_cluster',
    },
  });
  platform.once('exit', (code, signal) => void stop(code ?? (signal ? 0 : 1)));
  void reportStreams();
} catch (err) {
  process.stderr.write(`✖ ${err instanceof Error ? err.message : String(err)}\n`);
  await stop(1);
}
