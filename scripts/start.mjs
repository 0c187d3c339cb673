#!/usr/bin/env node
// `npm start`: brings up PostgreSQL and NATS if needed, installs and builds what is missing,
// creates a database per service and starts the four services and the sample receiver as
// supervised processes (one that exits is restarted with backoff), runs the demo, and keeps the
// platform running until Ctrl-C, which stops everything cleanly.
//   npm start                 the platform and the demo
//   npm start -- --no-demo    the platform only
//   npm start -- --no-build   skip the (cached) turbo build, e.g. right after `npm test`
// Environment: STAGEHOOK_DATA_DIR (default .data: logs, secrets, the run file),
// STAGEHOOK_PORT_OFFSET (added to every port), STAGEHOOK_DB_PREFIX (default stagehook),
// PG_ADMIN_URL, NATS_URL, BUS_NAMESPACE, LOG_LEVEL.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ensureInstalled, ensureServices, run, step } from './lib/prepare.mjs';
import { Supervisor } from './lib/supervisor.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const dataDir = process.env.STAGEHOOK_DATA_DIR ?? join(root, '.data');
const logDir = join(dataDir, 'logs');
mkdirSync(logDir, { recursive: true });

const PG_ADMIN_URL = process.env.PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const PORT_OFFSET = Number(process.env.STAGEHOOK_PORT_OFFSET ?? 0);
const DB_PREFIX = process.env.STAGEHOOK_DB_PREFIX ?? 'stagehook';

export const SERVICES = [
  { name: 'workflow', port: 3010 + PORT_OFFSET },
  { name: 'items', port: 3020 + PORT_OFFSET },
  { name: 'webhooks', port: 3030 + PORT_OFFSET },
  { name: 'delivery', port: 3040 + PORT_OFFSET },
];
const RECEIVER_PORT = Number(process.env.RECEIVER_PORT ?? 4000) + PORT_OFFSET;
// The example internal publisher (examples/training-runs) the demo starts, with its own database.
const TRAINING_RUNS_PORT = Number(process.env.TRAINING_RUNS_PORT ?? 4100) + PORT_OFFSET;
const CONSOLE_PORT = Number(process.env.CONSOLE_PORT ?? 3000) + PORT_OFFSET;

/** Development secrets, generated once per checkout and kept in the data dir (never committed). */
function localSecrets() {
  const file = join(dataDir, 'secrets.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8'));
  const secrets = {
    AUTH_TOKEN_SECRETS: randomBytes(32).toString('base64url'),
    SECRET_KEYS: `local:${randomBytes(32).toString('base64')}`,
  };
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

async function createDatabases() {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: PG_ADMIN_URL });
  await client.connect();
  try {
    for (const s of [...SERVICES, { name: 'training_runs' }]) {
      const db = `${DB_PREFIX}_${s.name}`;
      const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [db]);
      if (!rowCount) await client.query(`CREATE DATABASE ${db}`);
    }
  } finally {
    await client.end();
  }
}

function databaseUrl(name) {
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/${DB_PREFIX}_${name}`;
  return u.toString();
}

const shown = (p) => relative(process.cwd(), p) || p;
const supervisor = new Supervisor({
  cwd: root,
  logDir,
  runFile: join(dataDir, 'processes.json'),
  onFatal: () => void stop(1),
});

let stopping = false;
async function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  step('stopping');
  await supervisor.stop();
  const restarts = Object.entries(supervisor.restarts()).filter(([, n]) => n > 0);
  console.log(`  restarts: ${restarts.length ? restarts.map(([name, n]) => `${name} ${n}`).join(', ') : 'none'}; logs in ${shown(logDir)}`);
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

async function main() {
  step('PostgreSQL and NATS');
  ensureServices(root);
  ensureInstalled(root);
  if (!args.has('--no-build')) {
    step('build');
    run(root, 'turbo', ['run', 'build', '--output-logs=errors-only']);
  }
  step('databases');
  await createDatabases();

  const secrets = localSecrets();
  const { demoProjectId, runDemo } = await import('./demo.mjs');
  // The project the printed sign-in link is for. It is also the dead-letter operator, so the
  // console's Dead letters page can list and replay out of the box (DEAD_LETTER_OPERATORS overrides).
  const signInProject = args.has('--no-demo') ? 'local' : demoProjectId();
  const common = {
    NODE_ENV: 'development',
    HOST: '127.0.0.1',
    NATS_URL,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    BUS_NAMESPACE: process.env.BUS_NAMESPACE ?? '',
    AUTH_TOKEN_SECRETS: secrets.AUTH_TOKEN_SECRETS,
    SECRET_KEYS: secrets.SECRET_KEYS,
    // The sample receiver runs on loopback; every other private address stays refused.
    SSRF_ALLOW_LIST: process.env.SSRF_ALLOW_LIST ?? '127.0.0.1',
    DEAD_LETTER_OPERATORS: process.env.DEAD_LETTER_OPERATORS ?? signInProject,
  };
  step('services (migrations run at boot)');
  await Promise.all(
    SERVICES.map((s) =>
      supervisor.start({
        name: s.name,
        script: join('apps', s.name, 'dist', 'main.js'),
        env: { ...common, SERVICE_NAME: s.name, PORT: String(s.port), DATABASE_URL: databaseUrl(s.name) },
        healthUrl: `http://127.0.0.1:${s.port}/health`,
      }),
    ),
  );
  for (const s of SERVICES) console.log(`  ${s.name.padEnd(9)} http://127.0.0.1:${s.port}   docs http://127.0.0.1:${s.port}/docs`);
  console.log(`  logs      ${shown(logDir)}/<process>.log   (a process that exits is restarted; pids in ${shown(join(dataDir, 'processes.json'))})`);

  const urls = Object.fromEntries(SERVICES.map((s) => [s.name, `http://127.0.0.1:${s.port}`]));
  // The web console (apps/console): the SPA and its backend-for-frontend in front of the services.
  const consoleUrl = `http://127.0.0.1:${CONSOLE_PORT}`;
  await supervisor.start({
    name: 'console',
    script: join('apps', 'console', 'dist', 'server', 'main.js'),
    env: { ...common, SERVICE_NAME: 'console', PORT: String(CONSOLE_PORT), ...Object.fromEntries(SERVICES.map((s) => [`${s.name.toUpperCase()}_URL`, urls[s.name]])) },
    healthUrl: `${consoleUrl}/health`,
  });
  let signIn;
  if (!args.has('--no-demo')) {
    const startProcess = (name, script, env, healthUrl) => supervisor.start({ name, script, env, healthUrl });
    const trainingRuns = { port: TRAINING_RUNS_PORT, databaseUrl: databaseUrl('training_runs'), natsUrl: NATS_URL, busNamespace: common.BUS_NAMESPACE };
    signIn = await runDemo({ root, urls, secrets, receiverPort: RECEIVER_PORT, startProcess, restarts: () => supervisor.restarts(), trainingRuns, projectId: signInProject });
  }
  if (!signIn?.token) {
    const { mintProjectToken } = await import(pathToFileURL(join(root, 'packages/platform/dist/index.js')).href);
    signIn = { projectId: signInProject, token: mintProjectToken({ projectId: signInProject, secret: secrets.AUTH_TOKEN_SECRETS.split(',')[0], ttlSeconds: 7 * 24 * 3600 }) };
  }
  // The token rides in the fragment (never sent to a server); the console stores it in the tab and removes it from the URL.
  console.log(`  console   ${consoleUrl}   sign in to ${signIn.projectId}: ${consoleUrl}/signin#token=${signIn.token}`);
  step('running — Ctrl-C stops everything');
}

main().catch((err) => {
  process.stderr.write(`✖ ${err instanceof Error ? err.message : String(err)}\n`);
  void stop(1);
});
