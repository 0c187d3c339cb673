// What both README commands do before anything else: make sure PostgreSQL and NATS answer on
// loopback (scripts/services.sh starts or installs them) and that node_modules matches the
// lockfile. Plain Node with no dependencies: it runs on a fresh clone before `npm install`.
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';

export const step = (msg) => process.stdout.write(`\x1b[1m▸ ${msg}\x1b[0m\n`);

/** `extras` are further things scripts/services.sh can ensure, e.g. `chromium` for browser tests. */
export function ensureServices(root, extras = []) {
  execFileSync('bash', ['scripts/services.sh', ...extras], { cwd: root, stdio: 'inherit' });
}

/**
 * Runs `npm install` (which installs exactly the locked versions; `npm ci` refuses a lockfile made
 * on this platform) when node_modules is missing or was installed from another lockfile or root
 * manifest. Quick when nothing changed: one hash of two files.
 */
export function ensureInstalled(root) {
  const hash = createHash('sha256');
  for (const f of ['package-lock.json', 'package.json']) hash.update(readFileSync(join(root, f)));
  const digest = hash.digest('hex');
  const marker = join(root, 'node_modules', '.stagehook-installed');
  const current = existsSync(marker) ? readFileSync(marker, 'utf8').trim() : '';
  if (current === digest && existsSync(join(root, 'node_modules', '.bin', 'turbo'))) return false;
  step('npm install (locked versions)');
  try {
    execFileSync('npm', ['install', '--no-audit', '--no-fund'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  } catch (err) {
    process.stderr.write(`${err.stdout ?? ''}${err.stderr ?? ''}`);
    throw new Error('npm install failed');
  }
  writeFileSync(marker, `${digest}\n`);
  return true;
}

/** A command run from the root with inherited output; binaries installed by npm are found first. */
export function run(root, cmd, args, env = {}) {
  execFileSync(binary(root, cmd), args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
}

/** The command installed by npm when there is one, else from PATH. */
function binary(root, cmd) {
  const local = join(root, 'node_modules', '.bin', cmd);
  return existsSync(local) ? local : cmd;
}

/**
 * Commands run from the root, `lanes` at a time: each lane takes the next command in the list
 * when its last one ends, so a list ordered longest first keeps both lanes busy to the end. Each
 * has inherited output (turbo prefixes its lines with the task) and a process group of its own.
 * The first to fail stops the others and starts no more: the run has failed and waiting for them
 * only delays the report. A command's group is also signalled when it ends, so nothing it started
 * outlives it, and Ctrl-C or a CI cancellation (SIGINT, SIGTERM, SIGHUP to this process) stops
 * every lane before this process exits.
 */
export async function runInLanes(root, commands, lanes) {
  const running = new Set();
  /** Those this function stopped after another failed: whatever their exit code, they did not pass. */
  const stopped = new Set();
  const queue = [...commands];
  let failedFirst;
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const onSignal = (signal) => {
    // SIGTERM whatever came: a shell's background jobs ignore SIGINT.
    for (const child of running) stopGroup(child, 'SIGTERM');
    process.exit(128 + constants.signals[signal]);
  };
  const runOne = ({ name, cmd, args }) =>
    new Promise((resolve) => {
      const child = spawn(binary(root, cmd), args, { cwd: root, stdio: 'inherit', detached: true });
      const started = Date.now();
      running.add(child);
      const end = (exitedOk, exitWhy) => {
        if (!running.delete(child)) return;
        stopGroup(child, 'SIGTERM');
        // turbo exits 0 on SIGTERM: a suite stopped half-way must not read as passed.
        const ok = exitedOk && !stopped.has(child);
        const why = stopped.has(child) ? 'stopped' : exitWhy;
        // When each ended tells whether the order still keeps the lanes busy.
        if (ok) step(`${name} passed in ${Math.round((Date.now() - started) / 1000)} s`);
        if (!ok && failedFirst === undefined) {
          failedFirst = name;
          for (const other of running) {
            stopped.add(other);
            stopGroup(other, 'SIGTERM');
          }
          // Time to clean up, not to hang the run.
          setTimeout(() => running.forEach((other) => stopGroup(other, 'SIGKILL')), 30_000).unref();
        }
        resolve({ name, ok, why });
      };
      child.on('error', (err) => end(false, err.message));
      child.on('exit', (code, signal) => end(code === 0, signal ?? `exit ${code}`));
    });
  const lane = async () => {
    const results = [];
    for (let next = queue.shift(); next !== undefined && failedFirst === undefined; next = queue.shift()) results.push(await runOne(next));
    return results;
  };
  for (const signal of signals) process.on(signal, onSignal);
  try {
    const results = (await Promise.all(Array.from({ length: Math.max(1, lanes) }, lane))).flat();
    if (failedFirst !== undefined) {
      const others = results.filter((r) => !r.ok && r.name !== failedFirst).map((r) => (r.why === 'stopped' ? `${r.name} stopped` : `${r.name} (${r.why})`));
      const first = results.find((r) => r.name === failedFirst);
      throw new Error(`failed: ${first.name} (${first.why})${others.length > 0 ? `; ${others.join(', ')}` : ''}`);
    }
  } finally {
    for (const signal of signals) process.off(signal, onSignal);
  }
}

function stopGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // the group is gone
  }
}
