// What both README commands do before anything else: make sure PostgreSQL and NATS answer on
// loopback (scripts/services.sh starts or installs them) and that node_modules matches the
// lockfile. Plain Node with no dependencies: it runs on a fresh clone before `npm install`.
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
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
  const local = join(root, 'node_modules', '.bin', cmd);
  execFileSync(existsSync(local) ? local : cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
}

/**
 * Commands run side by side from the root, each with inherited output (turbo prefixes its lines
 * with the task). The first to fail stops the others (their whole process group): the run has
 * failed and waiting for them only delays the report.
 */
export async function runSideBySide(root, lanes) {
  const children = [];
  const exits = lanes.map(
    ({ name, cmd, args }) =>
      new Promise((resolve) => {
        const local = join(root, 'node_modules', '.bin', cmd);
        const child = spawn(existsSync(local) ? local : cmd, args, { cwd: root, stdio: 'inherit', detached: true });
        children.push(child);
        child.on('exit', (code, signal) => {
          if (code !== 0) for (const other of children) if (other !== child && other.exitCode === null) stopGroup(other);
          resolve({ name, ok: code === 0, why: signal ?? `exit ${code}` });
        });
      }),
  );
  const failed = (await Promise.all(exits)).filter((e) => !e.ok);
  if (failed.length > 0) throw new Error(`failed: ${failed.map((f) => `${f.name} (${f.why})`).join(', ')}`);
}

function stopGroup(child) {
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    // already gone
  }
}
