/**
 * The example training-runs service: `POST /runs {model}` starts a run, `POST /runs/:id/complete
 * {accuracy, epochs}` completes it and publishes `model.training.completed` (outbox → bus →
 * Stagehook registry → your webhook endpoints). Env: DATABASE_URL, NATS_URL, BUS_NAMESPACE,
 * PROJECT_ID, PORT.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect } from '@nats-io/transport-node';
import { BusNamespace } from '@stagehook/contracts';
import { OutboxRelay } from '@stagehook/publisher';
import pg from 'pg';
import { TrainingRuns } from './training-runs.js';

const env = (name: string, fallback?: string): string => {
  const v = process.env[name] || fallback;
  if (v === undefined) throw new Error(`${name} is required`);
  return v;
};

const pool = new pg.Pool({ connectionString: env('DATABASE_URL'), max: 5 });
const nats = await connect({ servers: env('NATS_URL', 'nats://127.0.0.1:4222') });
const runs = new TrainingRuns(pool, env('PROJECT_ID'));
await runs.migrate();
// JSON lines on stdout: the relay says when it waits (for the registry to make its stream) or fails.
const line =
  (level: string) =>
  (obj: object, msg?: string): void =>
    console.log(JSON.stringify({ level, time: new Date().toISOString(), service: 'training-runs', msg, ...obj }));
const logger = { debug: () => undefined, info: line('info'), warn: line('warn'), error: line('error') };
const relay = new OutboxRelay({ pool, nats, source: 'training-runs', namespace: new BusNamespace(env('BUS_NAMESPACE', '')), logger });
relay.start();

async function body(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = '';
  for await (const chunk of req) {
    text += String(chunk);
    if (text.length > 10_000) throw new Error('body too large');
  }
  const v: unknown = text ? JSON.parse(text) : {};
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function reply(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
}

const server = createServer((req, res) => {
  void (async () => {
    const complete = /^\/runs\/([0-9a-f-]{36})\/complete$/.exec(req.url ?? '');
    if (req.method === 'GET' && req.url === '/health') return reply(res, 200, { status: 'ok' });
    if (req.method === 'POST' && req.url === '/runs') {
      const b = await body(req);
      if (typeof b.model !== 'string' || !b.model) return reply(res, 400, { message: 'model: a name is required' });
      return reply(res, 201, await runs.start(b.model));
    }
    if (req.method === 'POST' && complete) {
      const b = await body(req);
      if (typeof b.accuracy !== 'number' || b.accuracy < 0 || b.accuracy > 1) return reply(res, 400, { message: 'accuracy: a number from 0 to 1 is required' });
      if (!Number.isInteger(b.epochs) || (b.epochs as number) < 1) return reply(res, 400, { message: 'epochs: a positive integer is required' });
      const run = await runs.complete(complete[1], { accuracy: b.accuracy, epochs: b.epochs as number });
      return run ? reply(res, 200, run) : reply(res, 404, { message: `no running run ${complete[1]}` });
    }
    reply(res, 404, { message: 'not found' });
  })().catch((err: unknown) => reply(res, 400, { message: (err as Error).message }));
});
server.listen(Number(env('PORT', '4100')), '127.0.0.1');

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    server.close();
    void relay
      .stop()
      .then(() => nats.drain())
      .then(() => pool.end())
      .finally(() => process.exit(0));
  });
}
