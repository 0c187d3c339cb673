#!/usr/bin/env node
// `npm start`: brings up PostgreSQL and NATS if needed, builds, migrates and starts the four
// services and the sample receiver as separate processes, runs the demo, and keeps the platform
// running until Ctrl-C, which stops everything cleanly. Logs go to .data/logs/<process>.log.
//   npm start                 the platform and the demo
//   npm start -- --no-demo    the platform only
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const dataDir = join(root, '.data');
const logDir = join(dataDir, 'logs');
mkdirSync(logDir, { recursive: true });

const PG_ADMIN_URL = process.env.PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

export const SERVICES = [
  { name: 'workflow', port: 3010 },
  { name: 'items', port: 3020 },
  { name: 'webhooks', port: 3030 },
  { name: 'delivery', port: 3040 },
];
const RECEIVER_PORT = Number(process.env.RECEIVER_PORT ?? 4000);
const CONSOLE_PORT = Number(process.env.CONSOLE_PORT ?? 3000);

const step = (msg) => process.stdout.write(`\x1b[1m▸ ${msg}\x1b[0m\n`);

/** Development secrets, generated once per checkout and kept in .data (never committed). */
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

function run(cmd, argv, opts = {}) {
  execFileSync(cmd, argv, { cwd: root, stdio: 'inherit', ...opts });
}

async function createDatabases() {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: PG_ADMIN_URL });
  await client.connect();
  try {
    for (const s of SERVICES) {
      const db = `stagehook_${s.name}`;
      const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [db]);
      if (!rowCount) await client.query(`CREATE DATABASE ${db}`);
    }
  } finally {
    await client.end();
  }
}

function databaseUrl(name) {
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/stagehook_${name}`;
  return u.toString();
}

const children = [];

function startProcess(name, script, env) {
  const log = createWriteStream(join(logDir, `${name}.log`), { flags: 'a' });
  const child = spawn(process.execPath, [script], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  child.on('exit', (code, signal) => {
    if (!stopping) {
      process.stderr.write(`✖ ${name} exited (${signal ?? code}); see .data/logs/${name}.log\n`);
      void stop(1);
    }
  });
  children.push({ name, child });
  return child;
}

async function waitHealthy(name, url, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${name} did not become healthy at ${url}; see .data/logs/${name}.log`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

let stopping = false;
async function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  step('stopping');
  await Promise.all(
    children.map(
      ({ child }) =>
        new Promise((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', resolve);
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), 25_000).unref();
        }),
    ),
  );
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

async function main() {
  step('PostgreSQL and NATS');
  run('bash', ['scripts/services.sh']);
  if (!existsSync(join(root, 'node_modules', '.bin', 'turbo'))) {
    step('npm install');
    run('npm', ['install', '--no-audit', '--no-fund']);
  }
  step('build');
  run('npx', ['turbo', 'run', 'build', '--output-logs=errors-only']);
  step('databases');
  await createDatabases();

  const secrets = localSecrets();
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
  };
  step('services (migrations run at boot)');
  for (const s of SERVICES) {
    startProcess(s.name, join('apps', s.name, 'dist', 'main.js'), {
      ...common,
      SERVICE_NAME: s.name,
      PORT: String(s.port),
      DATABASE_URL: databaseUrl(s.name),
    });
  }
  await Promise.all(SERVICES.map((s) => waitHealthy(s.name, `http://127.0.0.1:${s.port}/health`)));
  for (const s of SERVICES) console.log(`  ${s.name.padEnd(9)} http://127.0.0.1:${s.port}   docs http://127.0.0.1:${s.port}/docs`);

  const urls = Object.fromEntries(SERVICES.map((s) => [s.name, `http://127.0.0.1:${s.port}`]));
  // The web console (apps/console): the SPA and its backend-for-frontend in front of the services.
  const consoleUrl = `http://127.0.0.1:${CONSOLE_PORT}`;
  startProcess('console', join('apps', 'console', 'dist', 'server', 'main.js'), {
    ...common,
    SERVICE_NAME: 'console',
    PORT: String(CONSOLE_PORT),
    ...Object.fromEntries(SERVICES.map((s) => [`${s.name.toUpperCase()}_URL`, urls[s.name]])),
  });
  await waitHealthy('console', `${consoleUrl}/health`);
  let signIn;
  if (!args.has('--no-demo')) {
    const { runDemo } = await import('./demo.mjs');
    signIn = await runDemo({ root, urls, secrets, receiverPort: RECEIVER_PORT, startProcess, waitHealthy });
  }
  if (!signIn?.token) {
    const { mintProjectToken } = await import(pathToFileURL(join(root, 'packages/platform/dist/index.js')).href);
    signIn = { projectId: 'local', token: mintProjectToken({ projectId: 'local', secret: secrets.AUTH_TOKEN_SECRETS.split(',')[0], ttlSeconds: 7 * 24 * 3600 }) };
  }
  // The token rides in the fragment (never sent to a server); the console stores it in the tab and removes it from the URL.
  console.log(`  console   ${consoleUrl}   sign in to ${signIn.projectId}: ${consoleUrl}/signin#token=${signIn.token}`);
  step('running — Ctrl-C stops everything');
}

main().catch((err) => {
  process.stderr.write(`✖ ${err instanceof Error ? err.message : String(err)}\n`);
  void stop(1);
});
