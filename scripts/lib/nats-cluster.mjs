// A JetStream cluster on loopback for `npm run cluster` and the chaos cluster run: `size`
// nats-server processes (the machine's 2.9 binary), each with its own client, route and
// monitoring port and JetStream store directory, routed to one another. Plain Node with no
// dependencies: `npm run cluster` loads it before anything is installed.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The nats-server binary: NATS_SERVER, else the PATH, else Debian's /usr/sbin. */
export function natsServerBinary() {
  if (process.env.NATS_SERVER) return process.env.NATS_SERVER;
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/bin', '/usr/local/bin'];
  const found = dirs.map((d) => join(d, 'nats-server')).find((p) => existsSync(p));
  if (!found) throw new Error('nats-server is not installed (apt-get install -y nats-server)');
  return found;
}

/**
 * @typedef {object} ClusterNode
 * @property {string} name       server name (n1, n2, …): what JetStream reports as a stream leader
 * @property {number} port       client port
 * @property {number} routePort
 * @property {number} monitorPort
 * @property {string} storeDir
 * @property {import('node:child_process').ChildProcess | undefined} child
 */

/**
 * The first base port from `from` (in steps of 10) whose client, route and monitoring ports for
 * `size` nodes are all free on loopback: nodes left running by a killed run never collide.
 */
export async function freeBasePort(from, size = 3) {
  for (let base = from; base < from + 2_000; base += 10) {
    const ports = Array.from({ length: size }, (_, i) => [base + i, base + 100 + i, base + 200 + i]).flat();
    if ((await Promise.all(ports.map(portFree))).every(Boolean)) return base;
  }
  throw new Error(`no free ports for a ${size}-node cluster from ${from}`);
}

function portFree(port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export class NatsCluster {
  /**
   * @param {object} opts
   * @param {string} opts.dataDir     store directories and logs go under it
   * @param {number} [opts.basePort]  client ports basePort…; routes +100, monitoring +200 (default 14222)
   * @param {number} [opts.size]      default 3
   * @param {string} [opts.name]      cluster name
   * @param {boolean} [opts.ownGroup] each node in a process group of its own (default true): a
   *   Ctrl-C meant for the platform leaves NATS running; false for tests, whose runner stops their
   *   whole process group and must take the nodes with it
   */
  constructor({ dataDir, basePort = 14222, size = 3, name = 'stagehook', ownGroup = true }) {
    this.dataDir = dataDir;
    this.name = name;
    this.ownGroup = ownGroup;
    this.bin = natsServerBinary();
    /** @type {ClusterNode[]} */
    this.nodes = Array.from({ length: size }, (_, i) => ({
      name: `n${i + 1}`,
      port: basePort + i,
      routePort: basePort + 100 + i,
      monitorPort: basePort + 200 + i,
      storeDir: join(dataDir, `n${i + 1}`),
      child: undefined,
    }));
  }

  /** Every node's client URL, comma-separated: what NATS_URL gets. */
  get urls() {
    return this.nodes.map((n) => `nats://127.0.0.1:${n.port}`).join(',');
  }

  node(name) {
    const n = this.nodes.find((x) => x.name === name);
    if (!n) throw new Error(`no node ${name} in the cluster`);
    return n;
  }

  /** Starts every node and resolves once each answers /healthz (JetStream with a meta leader). */
  async start(timeoutMs = 60_000) {
    for (const n of this.nodes) this.launch(n);
    await Promise.all(this.nodes.map((n) => this.waitHealthy(n, timeoutMs)));
  }

  launch(n) {
    mkdirSync(n.storeDir, { recursive: true });
    const routes = this.nodes
      .filter((o) => o !== n)
      .map((o) => `nats://127.0.0.1:${o.routePort}`)
      .join(',');
    const args = [
      '-a',
      '127.0.0.1',
      '-p',
      String(n.port),
      '-n',
      n.name,
      '-m',
      String(n.monitorPort),
      '-js',
      '-sd',
      n.storeDir,
      '--cluster_name',
      this.name,
      '--cluster',
      `nats://127.0.0.1:${n.routePort}`,
      '--routes',
      routes,
      '-l',
      join(this.dataDir, `${n.name}.log`),
    ];
    // Its own process group (unless `ownGroup` is false): a Ctrl-C meant for the platform must not
    // take NATS away while the services drain into it; whoever started the cluster stops it last.
    n.child = spawn(this.bin, args, { stdio: 'ignore', detached: this.ownGroup });
    n.child.unref();
    n.child.once('error', () => undefined);
    return n.child;
  }

  async waitHealthy(n, timeoutMs = 60_000) {
    const deadline = Date.now() + timeoutMs;
    let last = 'not listening';
    for (;;) {
      if (n.child && (n.child.exitCode !== null || n.child.signalCode !== null))
        throw new Error(`nats-server ${n.name} exited while starting; see ${join(this.dataDir, `${n.name}.log`)}`);
      try {
        const res = await fetch(`http://127.0.0.1:${n.monitorPort}/healthz`, { signal: AbortSignal.timeout(2_000) });
        if (res.ok) return;
        last = `${res.status} ${(await res.text()).trim()}`;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline)
        throw new Error(`nats-server ${n.name} not healthy after ${timeoutMs / 1000} s (last /healthz: ${last}); see ${join(this.dataDir, `${n.name}.log`)}`);
      await sleep(200);
    }
  }

  /** Sends `signal` to one node and resolves when it has exited. */
  async kill(name, signal = 'SIGKILL') {
    const n = this.node(name);
    const child = n.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    // Referenced again while waiting: an unreferenced child's exit would not keep Node alive.
    child.ref();
    const exited = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    await exited;
  }

  /** Starts a stopped node again (same ports and store) and waits until it is healthy. */
  async restart(name, timeoutMs = 60_000) {
    const n = this.node(name);
    if (n.child && n.child.exitCode === null && n.child.signalCode === null) return;
    this.launch(n);
    await this.waitHealthy(n, timeoutMs);
  }

  pids() {
    return Object.fromEntries(this.nodes.filter((n) => n.child?.pid).map((n) => [n.name, n.child.pid]));
  }

  /** Every node: SIGTERM (lame duck is not waited for), SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000) {
    await Promise.all(
      this.nodes.map((n) => {
        const child = n.child;
        if (!child || child.exitCode !== null || child.signalCode !== null) return undefined;
        child.ref();
        return new Promise((resolve) => {
          child.once('exit', resolve);
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), graceMs).unref();
        });
      }),
    );
  }

  /**
   * The Raft groups in the nodes' stores (`S-R3F-…` a file stream, `C-R1F-…` a file consumer, …).
   * Their names keep the peer count a group was born with, which no monitoring endpoint of NATS
   * 2.9 reports: a stream or consumer born at one replica and scaled up later still reads `R1`.
   */
  raftGroups() {
    const groups = new Set();
    for (const n of this.nodes) {
      const dir = join(n.storeDir, 'jetstream', '$SYS', '_js_');
      if (existsSync(dir)) for (const g of readdirSync(dir)) groups.add(g);
    }
    return [...groups].sort();
  }

  /** Streams as the cluster reports them: name → { replicas, leader }, from one node's /jsz. */
  async streams() {
    for (const n of this.nodes) {
      try {
        const res = await fetch(`http://127.0.0.1:${n.monitorPort}/jsz?streams=true&config=true`, { signal: AbortSignal.timeout(2_000) });
        if (!res.ok) continue;
        const jsz = await res.json();
        const out = {};
        for (const acc of jsz.account_details ?? []) {
          for (const s of acc.stream_detail ?? []) out[s.name] = { replicas: s.config?.num_replicas ?? 1, leader: s.cluster?.leader };
        }
        return out;
      } catch {
        // try the next node
      }
    }
    return {};
  }
}
