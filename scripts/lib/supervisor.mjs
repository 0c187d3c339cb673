// Supervises the platform's processes for `npm start`: one crashing service must not take the
// others down. A process that exits is restarted with exponential backoff and the restart is shown;
// only a process that keeps failing before it ever becomes healthy again (it cannot start) stops
// the platform, with the reason and its log path. Plain Node (no dependencies): `npm start` loads
// it before `npm install` has run.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * @typedef {object} ProcessSpec
 * @property {string} name
 * @property {string} script       path of the Node entry point, relative to `cwd`
 * @property {Record<string, string>} env
 * @property {string} [healthUrl]  polled after each start; a process counts as started once it answers 2xx
 */

export class Supervisor {
  /**
   * @param {object} opts
   * @param {string} opts.cwd
   * @param {string} opts.logDir            each process appends to `<logDir>/<name>.log`
   * @param {string} [opts.runFile]         JSON file kept up to date with `{ name: pid }`
   * @param {number} [opts.maxStartFailures] exits in a row without becoming healthy before giving up
   * @param {number} [opts.initialBackoffMs]
   * @param {number} [opts.maxBackoffMs]
   * @param {number} [opts.healthTimeoutMs] how long a start may take to become healthy
   * @param {(line: string) => void} [opts.print]
   * @param {(reason: string) => void} [opts.onFatal] called once when a process cannot be started
   */
  constructor(opts) {
    this.cwd = opts.cwd;
    this.logDir = opts.logDir;
    this.runFile = opts.runFile;
    this.maxStartFailures = opts.maxStartFailures ?? 5;
    this.initialBackoffMs = opts.initialBackoffMs ?? 500;
    this.maxBackoffMs = opts.maxBackoffMs ?? 15_000;
    this.healthTimeoutMs = opts.healthTimeoutMs ?? 60_000;
    this.print = opts.print ?? ((line) => process.stderr.write(`${line}\n`));
    this.onFatal = opts.onFatal ?? (() => undefined);
    /** @type {Map<string, { spec: ProcessSpec, child?: import('node:child_process').ChildProcess, healthy: boolean, failuresInARow: number, restarts: number, timer?: NodeJS.Timeout, generation: number }>} */
    this.processes = new Map();
    this.stopping = false;
    mkdirSync(this.logDir, { recursive: true });
  }

  /** Starts a process and resolves once it is healthy (or at once without a health URL). */
  async start(spec) {
    if (this.processes.has(spec.name)) throw new Error(`${spec.name} is already supervised`);
    const entry = { spec, child: undefined, healthy: false, failuresInARow: 0, restarts: 0, timer: undefined, generation: 0 };
    this.processes.set(spec.name, entry);
    this.launch(entry);
    await this.waitHealthy(spec.name);
  }

  /** Resolves when the process answers its health URL; rejects if it cannot be started. */
  async waitHealthy(name, timeoutMs = this.healthTimeoutMs) {
    const entry = this.get(name);
    const deadline = Date.now() + timeoutMs;
    while (!entry.healthy) {
      if (this.fatal) throw new Error(this.fatal);
      if (this.stopping) throw new Error('stopping');
      if (Date.now() > deadline) throw new Error(`${name} did not become healthy within ${timeoutMs / 1000} s; see ${this.logPath(name)}`);
      await sleep(100);
    }
  }

  /** Restarts so far, per process. */
  restarts() {
    return Object.fromEntries([...this.processes].map(([name, e]) => [name, e.restarts]));
  }

  pids() {
    return Object.fromEntries([...this.processes].filter(([, e]) => e.child?.pid).map(([name, e]) => [name, e.child.pid]));
  }

  logPath(name) {
    return relative(this.cwd, join(this.logDir, `${name}.log`)) || join(this.logDir, `${name}.log`);
  }

  /** SIGTERM to every process (SIGKILL after `graceMs`), no more restarts. */
  async stop(graceMs = 25_000) {
    this.stopping = true;
    await Promise.all(
      [...this.processes.values()].map((entry) => {
        clearTimeout(entry.timer);
        const child = entry.child;
        if (!child || child.exitCode !== null || child.signalCode !== null) return undefined;
        return new Promise((resolve) => {
          child.once('exit', resolve);
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), graceMs).unref();
        });
      }),
    );
  }

  get(name) {
    const entry = this.processes.get(name);
    if (!entry) throw new Error(`${name} is not supervised`);
    return entry;
  }

  launch(entry) {
    const { spec } = entry;
    const generation = ++entry.generation;
    entry.healthy = false;
    const log = createWriteStream(join(this.logDir, `${spec.name}.log`), { flags: 'a' });
    const child = spawn(process.execPath, [spec.script], { cwd: this.cwd, env: { ...process.env, ...spec.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    entry.child = child;
    child.stdout.pipe(log);
    child.stderr.pipe(log);
    child.on('error', (err) => this.print(`✖ ${spec.name} could not be spawned: ${err.message}`));
    child.once('exit', (code, signal) => this.exited(entry, generation, signal ?? `exit code ${code}`));
    this.writeRunFile();
    if (spec.healthUrl) void this.watchHealth(entry, generation);
    else entry.healthy = true;
  }

  async watchHealth(entry, generation) {
    const deadline = Date.now() + this.healthTimeoutMs;
    while (entry.generation === generation && !this.stopping && entry.child?.exitCode === null && entry.child.signalCode === null) {
      try {
        const res = await fetch(entry.spec.healthUrl, { signal: AbortSignal.timeout(2_000) });
        if (res.ok) {
          if (entry.generation !== generation) return;
          entry.healthy = true;
          entry.failuresInARow = 0;
          if (entry.restarts > 0) this.print(`✔ ${entry.spec.name} is back (restart ${entry.restarts}, pid ${entry.child.pid})`);
          return;
        }
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        this.print(`✖ ${entry.spec.name} is not healthy after ${this.healthTimeoutMs / 1000} s; restarting it (see ${this.logPath(entry.spec.name)})`);
        entry.child.kill('SIGKILL');
        return;
      }
      await sleep(200);
    }
  }

  exited(entry, generation, how) {
    if (this.stopping || entry.generation !== generation) return;
    const { name } = entry.spec;
    // A process that dies before it ever answered its health check is failing to start; one that
    // had been serving crashed and is simply restarted.
    if (!entry.healthy) entry.failuresInARow += 1;
    entry.healthy = false;
    if (entry.failuresInARow >= this.maxStartFailures) {
      this.fatal = `${name} failed to start ${entry.failuresInARow} times in a row (last: ${how}); see ${this.logPath(name)}\n${lastLines(join(this.logDir, `${name}.log`), 15)}`;
      this.print(`✖ ${this.fatal}`);
      this.onFatal(this.fatal);
      return;
    }
    // Backoff grows with the exits of the last minute, so a crash loop after each start slows down too.
    const now = Date.now();
    entry.recentExits = [...(entry.recentExits ?? []).filter((t) => now - t < 60_000), now];
    const delay = Math.min(this.maxBackoffMs, this.initialBackoffMs * 2 ** (entry.recentExits.length - 1));
    entry.restarts += 1;
    this.print(`↻ ${name} exited (${how}); restart ${entry.restarts} in ${(delay / 1000).toFixed(1)} s — see ${this.logPath(name)}`);
    entry.timer = setTimeout(() => {
      if (!this.stopping) this.launch(entry);
    }, delay);
  }

  writeRunFile() {
    if (this.runFile) writeFileSync(this.runFile, `${JSON.stringify({ supervisor: process.pid, processes: this.pids() }, null, 2)}\n`);
  }
}

function lastLines(file, n) {
  try {
    return readFileSync(file, 'utf8')
      .trimEnd()
      .split('\n')
      .slice(-n)
      .map((l) => `    ${l}`)
      .join('\n');
  } catch {
    return '';
  }
}
