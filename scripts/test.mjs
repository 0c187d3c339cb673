#!/usr/bin/env node
// `npm test`: every test, alone on a fresh clone. Makes sure PostgreSQL and NATS are up (and
// Chromium for the browser tests, kubectl for the Kubernetes manifests' tests), installs the
// locked packages when node_modules is missing or stale, then builds, type-checks and lints (one
// program per package, scripts/check.mjs) and runs the unit tests (cached by turbo), the
// integration, end-to-end and browser suites (never cached), the short chaos run and the short
// cluster fault run.
//   npm test                  everything
//   npm test -- --no-chaos    everything but the two fault runs (the chaos run restarts PostgreSQL and NATS)
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureInstalled, ensureServices, run, runInLanes, step } from './lib/prepare.mjs';

// The integration, end-to-end and browser suites run two at a time (suites share PostgreSQL and
// NATS but never a database or namespace), each lane taking the next suite when its last one ends,
// longest first: so both lanes stay busy to the end instead of one idling while the other finishes
// a fixed share. Ordered by their durations in a run of this script (s): e2e 282, console 125,
// messaging 84, delivery 83, items 37, workflow 26, platform 21, event-store 21, webhooks 20,
// deploy 14; the others take a few seconds and follow in any order.
const LONGEST_FIRST = [
  '@stagehook/e2e',
  '@stagehook/console',
  '@stagehook/messaging',
  '@stagehook/delivery',
  '@stagehook/items',
  '@stagehook/workflow',
  '@stagehook/platform',
  '@stagehook/event-store',
  '@stagehook/webhooks',
  '@stagehook/deploy',
];
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const started = Date.now();
const elapsed = () => `${Math.round((Date.now() - started) / 1000)} s`;

try {
  step('PostgreSQL, NATS, Chromium and kubectl');
  ensureServices(root, ['chromium', 'kubectl']);
  ensureInstalled(root);
  step('build, type-check and lint, unit tests');
  run(root, 'turbo', ['run', 'build', 'check', 'test:unit', '--output-logs=errors-only']);
  // After the build: workspace packages resolve to their dist/, which the boundary rules name.
  step('module boundaries (.dependency-cruiser.cjs)');
  run(root, 'npm', ['run', '--silent', 'lint:deps']);
  step('formatting (.prettierrc.json)');
  run(root, 'npm', ['run', '--silent', 'format:check']);
  // Runs killed before their teardown (a cancelled CI, a failed lane stopped) leave databases and
  // bus namespaces behind; each namespace reserves gigabytes of JetStream storage, and enough of
  // them fail every later run. Those made over three hours ago (no run of this script takes that
  // long) are removed. Cleanup does not decide the run: a failed sweep is only reported.
  try {
    const { sweepStaleTestResources } = await import('@stagehook/testing');
    const swept = await sweepStaleTestResources(3 * 3600_000);
    if (swept.databases.length + swept.streams.length > 0) step(`removed ${swept.databases.length} stale test database(s) and ${swept.streams.length} stream(s)`);
  } catch (err) {
    process.stderr.write(`stale test resources not swept: ${err instanceof Error ? err.message : String(err)}\n`);
  }
  step(`integration, end-to-end and browser tests (${elapsed()} so far)`);
  // Everything is built: each suite runs alone in its turbo task (`--only`).
  const suites = integrationSuites().map((name) => ({ name, cmd: 'turbo', args: ['run', 'test:int', '--only', `--filter=${name}`] }));
  await runInLanes(root, suites, 2);
  if (!args.has('--no-chaos')) {
    step(`short chaos run (${elapsed()} so far)`);
    run(root, 'npm', ['run', 'chaos:short']);
    // A three-node JetStream cluster of its own on loopback (ports 15222-15424): the stream
    // leaders of DELIVERY and WORKFLOW are killed under load. About a minute. Alone: beside the
    // package suites, a restarted node once took over 60 s to catch up and the run failed.
    step(`short cluster fault run (${elapsed()} so far)`);
    run(root, 'npm', ['run', 'chaos:cluster:short']);
  }
  step(`all tests passed in ${elapsed()}`);
} catch (err) {
  process.stderr.write(`\x1b[31m✖ tests failed after ${elapsed()}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}\x1b[0m\n`);
  process.exit(1);
}

/** The workspaces with a `test:int` script, the longest suites first. */
function integrationSuites() {
  const globs = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).workspaces;
  const dirs = globs.flatMap((g) => {
    // Only the forms package.json uses; another would silently leave suites out.
    if (/[*?![{]/.test(g.endsWith('/*') ? g.slice(0, -2) : g)) throw new Error(`workspace pattern ${g} is not understood by scripts/test.mjs`);
    return g.endsWith('/*')
      ? readdirSync(join(root, g.slice(0, -2)), { withFileTypes: true })
          .filter((d) => d.isDirectory())
          .map((d) => join(g.slice(0, -2), d.name))
      : [g];
  });
  const names = dirs
    .map((d) => join(root, d, 'package.json'))
    .filter((f) => existsSync(f))
    .map((f) => JSON.parse(readFileSync(f, 'utf8')))
    .filter((pkg) => pkg.scripts?.['test:int'])
    .map((pkg) => pkg.name);
  const rank = (name) => (LONGEST_FIRST.includes(name) ? LONGEST_FIRST.indexOf(name) : LONGEST_FIRST.length);
  return names.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}
