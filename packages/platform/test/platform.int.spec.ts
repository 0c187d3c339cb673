import { connect as tcpConnect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { LogCapture, createTestDatabase, testEnv, type TestDatabase, until } from '@stagehook/testing';
import { DataSource } from 'typeorm';
import { BaseConfig, bootstrapService, createLogger, listeningUrl, loadConfig, mintProjectToken, NATS_CONNECTION, type NatsConnection } from '../src/index.js';
import { SampleAppModule, ShutdownProbe } from './support/sample-app.js';

const SECRET = 'int-test-signing-secret-0123456789abcdef';
const OLD_SECRET = 'int-test-previous-secret-0123456789abcdef';

function testConfig(db: TestDatabase, extra: Record<string, string> = {}): BaseConfig {
  return loadConfig(BaseConfig, {
    NODE_ENV: 'test',
    SERVICE_NAME: 'platform-test',
    HOST: '127.0.0.1',
    PORT: '0',
    DATABASE_URL: db.url,
    NATS_URL: testEnv.natsUrl,
    AUTH_TOKEN_SECRETS: `${SECRET},${OLD_SECRET}`,
    LOG_LEVEL: 'debug',
    HTTP_BODY_LIMIT: '64kb',
    SHUTDOWN_TIMEOUT_MS: '5000',
    ...extra,
  });
}

async function boot(db: TestDatabase, logs: LogCapture): Promise<NestExpressApplication> {
  const config = testConfig(db);
  return bootstrapService(SampleAppModule, {
    config,
    logger: createLogger({ service: config.SERVICE_NAME, level: 'debug', destination: logs }),
    openApi: { title: 'Platform test' },
    handleSignals: false,
  });
}

const token = (projectId: string, opts: { secret?: string; ttlSeconds?: number; now?: Date } = {}) =>
  mintProjectToken({ projectId, secret: opts.secret ?? SECRET, ttlSeconds: opts.ttlSeconds ?? 600, now: opts.now });

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: Record<string, unknown>;
}

describe('a service booted through bootstrapService', () => {
  let db: TestDatabase;
  let app: NestExpressApplication;
  let base: string;
  let nc: NatsConnection;
  let dataSource: DataSource;
  const logs = new LogCapture();

  async function call(path: string, init: RequestInit & { token?: string } = {}): Promise<Answer> {
    const headers = new Headers(init.headers);
    if (init.token) headers.set('authorization', `Bearer ${init.token}`);
    const res = await fetch(`${base}${path}`, { ...init, headers });
    const text = await res.text();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // not JSON (metrics)
    }
    return { status: res.status, headers: res.headers, text, json };
  }

  const post = (path: string, body: string, tok = token('proj-a'), contentType = 'application/json') =>
    call(path, { method: 'POST', body, token: tok, headers: { 'content-type': contentType } });

  beforeAll(async () => {
    db = await createTestDatabase('platform');
    app = await boot(db, logs);
    base = listeningUrl(app);
    nc = app.get<NatsConnection>(NATS_CONNECTION);
    dataSource = app.get(DataSource);
  });

  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it('ran the service migrations at boot', async () => {
    const rows: Array<{ name: string }> = await dataSource.query('SELECT name FROM migrations');
    expect(rows.map((r) => r.name)).toEqual(['CreateSampleThings1700000000000']);
    await expect(dataSource.query('SELECT count(*) FROM sample_things')).resolves.toEqual([{ count: '0' }]);
  });

  it('logs no error while booting a healthy service', () => {
    // The sample service declares no consumer settings: looking them up must not log an error.
    expect(logs.lines.filter((l) => l.level === 'error' || l.level === 50)).toEqual([]);
  });

  describe('GET /health', () => {
    it('answers 200 when PostgreSQL and NATS are up, without a token', async () => {
      const res = await call('/health');
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ status: 'ok', info: { database: { status: 'up' }, nats: { status: 'up' } } });
    });
  });

  describe('authentication', () => {
    it('answers 401 JSON without a token', async () => {
      const res = await call('/samples/things/thing-1');
      expect(res.status).toBe(401);
      expect(res.json).toEqual({ statusCode: 401, error: 'UNAUTHORIZED', message: 'Bearer token is missing' });
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
    });

    it('answers 401 for a non-bearer authorization header', async () => {
      const res = await call('/samples/things/thing-1', { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
      expect(res.status).toBe(401);
      expect(res.json.error).toBe('UNAUTHORIZED');
    });

    it('answers 401 for an expired token', async () => {
      const expired = token('proj-a', { ttlSeconds: 60, now: new Date(Date.now() - 3600_000) });
      const res = await call('/samples/things/thing-1', { token: expired });
      expect(res.status).toBe(401);
      expect(res.json).toEqual({ statusCode: 401, error: 'UNAUTHORIZED', message: 'Bearer token has expired' });
    });

    it('answers 401 for a token forged with another secret', async () => {
      const forged = token('proj-a', { secret: 'attacker-chosen-secret-0123456789abcdef' });
      const res = await call('/samples/things/thing-1', { token: forged });
      expect(res.status).toBe(401);
      expect(res.json.message).toBe('Bearer token is invalid');
      expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
    });

    it('answers 401 for a malformed token', async () => {
      const res = await call('/samples/things/thing-1', { token: 'not.a.token' });
      expect(res.status).toBe(401);
      expect(res.json.message).toBe('Bearer token is malformed');
    });

    it('lets a valid token through and gives the handler its project id', async () => {
      const res = await call('/samples/things/thing-1', { token: token('proj-a') });
      expect(res.status).toBe(200);
      expect(res.json).toEqual({ id: 'thing-1', projectId: 'proj-a' });
    });

    it('accepts a token signed with the previous key during a rotation', async () => {
      const res = await call('/samples/things/thing-1', { token: token('proj-a', { secret: OLD_SECRET }) });
      expect(res.status).toBe(200);
    });

    it("answers 404, not 403, for another project's resource", async () => {
      const res = await call('/samples/things/thing-1', { token: token('proj-b') });
      expect(res.status).toBe(404);
      expect(res.json).toEqual({ statusCode: 404, error: 'NOT_FOUND', message: 'thing thing-1 not found' });
    });

    it('answers 500 when @ProjectId() is used on a public route (a programming error)', async () => {
      const res = await call('/samples/public');
      expect(res.status).toBe(500);
      expect(res.json).toEqual({ statusCode: 500, error: 'INTERNAL_ERROR', message: 'Internal server error' });
    });
  });

  describe('request bodies', () => {
    const good = { items: [{ name: 'a', size: { width: 10, height: 20 } }] };

    it('hands the handler a transformed, validated DTO', async () => {
      const res = await post('/samples/ds-1/batches', JSON.stringify(good));
      expect(res.status).toBe(201);
      expect(res.json).toEqual({ projectId: 'proj-a', datasetId: 'ds-1', count: 1, transformed: true });
    });

    it('answers 400 naming every bad field by its nested path', async () => {
      const items = [
        { name: 'a', size: { width: 1, height: 1 } },
        { name: 'b', size: { width: 1, height: 1 } },
        { name: '', size: { width: 1, height: 1 } },
        { name: 'd', size: { width: -5, height: 1 } },
      ];
      const res = await post('/samples/ds-1/batches', JSON.stringify({ items, extra: true }));
      expect(res.status).toBe(400);
      expect(res.json.error).toBe('VALIDATION_FAILED');
      const fields = res.json.fields as Array<{ path: string; messages: string[] }>;
      expect(fields.map((f) => f.path).sort()).toEqual(['extra', 'items[2].name', 'items[3].size.width']);
      expect(fields.find((f) => f.path === 'items[3].size.width')!.messages).toEqual(['width must not be less than 1']);
      expect(fields.find((f) => f.path === 'extra')!.messages).toEqual(['property extra should not exist']);
      expect(res.json.message).toContain('items[3].size.width');
    });

    it('answers 400 invalid_json for malformed JSON', async () => {
      const res = await post('/samples/ds-1/batches', '{"items": [');
      expect(res.status).toBe(400);
      expect(res.json).toEqual({ statusCode: 400, error: 'invalid_json', message: 'Request body is not valid JSON' });
    });

    it('answers 413 payload_too_large beyond HTTP_BODY_LIMIT', async () => {
      const big = JSON.stringify({ items: [{ name: 'x'.repeat(80 * 1024), size: { width: 1, height: 1 } }] });
      const res = await post('/samples/ds-1/batches', big);
      expect(res.status).toBe(413);
      expect(res.json).toEqual({ statusCode: 413, error: 'payload_too_large', message: 'Request body is too large' });
    });

    it('answers 400 naming the path of a __proto__ key', async () => {
      const res = await post('/samples/ds-1/batches', '{"items":[{"name":"a","size":{"width":1,"height":1,"__proto__":{"isAdmin":true}}}]}');
      expect(res.status).toBe(400);
      expect(res.json).toMatchObject({ error: 'VALIDATION_FAILED', fields: [{ path: 'items[0].size.__proto__' }] });
      expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    });

    it('answers 400 for constructor.prototype keys and for them in the query string', async () => {
      const body = await post('/samples/ds-1/batches', '{"constructor":{"prototype":{"x":1}}}');
      expect(body.status).toBe(400);
      expect(body.json).toMatchObject({ fields: [{ path: 'constructor' }] });
      const query = await call('/samples/things/thing-1?a[__proto__][x]=1', { token: token('proj-a') });
      expect(query.status).toBe(400);
      expect(query.json.message).toContain('query string');
    });

    it('answers 400, not a stack overflow, for absurdly nested bodies', async () => {
      const depth = 20_000;
      const res = await post('/samples/ds-1/batches', `{"items":${'['.repeat(depth)}${']'.repeat(depth)}}`);
      expect(res.status).toBe(400);
      expect(res.json.message).toBe('The request body is nested deeper than 32 levels');
      const ok = await post('/samples/ds-1/batches', JSON.stringify(good));
      expect(ok.status).toBe(201);
    });
  });

  describe('errors', () => {
    it('answers a plain Error with a generic 500 and logs it with its stack', async () => {
      const res = await call('/samples/boom', { token: token('proj-a'), headers: { 'x-request-id': 'req-boom-1' } });
      expect(res.status).toBe(500);
      expect(res.json).toEqual({ statusCode: 500, error: 'INTERNAL_ERROR', message: 'Internal server error' });
      expect(res.text).not.toContain('password');
      const logged = await until(() => logs.find((l) => l.requestId === 'req-boom-1' && l.level === 'error'));
      expect(logged).toMatchObject({ route: '/samples/boom', err: { message: expect.stringContaining('internal detail') } });
      expect((logged.err as { stack: string }).stack).toContain('SampleController.boom');
    });

    it("maps the event store's CONCURRENCY_CONFLICT error to 409", async () => {
      const res = await call('/samples/conflict', { token: token('proj-a') });
      expect(res.status).toBe(409);
      expect(res.json).toMatchObject({ statusCode: 409, error: 'CONCURRENCY_CONFLICT' });
      expect(res.text).not.toContain('item-1');
    });

    it('answers unknown routes with the same JSON shape', async () => {
      const res = await call('/nowhere', { token: token('proj-a') });
      expect(res.status).toBe(404);
      expect(res.json).toMatchObject({ statusCode: 404, error: 'NOT_FOUND' });
    });
  });

  describe('request logs', () => {
    it('logs method, route template, status, duration and request id — and no headers', async () => {
      const tok = token('proj-a');
      const res = await call('/samples/things/thing-1', { token: tok, headers: { 'x-request-id': 'req-log-1', cookie: 'session=abc' } });
      expect(res.headers.get('x-request-id')).toBe('req-log-1');
      const line = await until(() => logs.find((l) => l.requestId === 'req-log-1' && l.msg === 'request'));
      expect(line).toMatchObject({ method: 'GET', route: '/samples/things/:id', status: 200, service: 'platform-test', level: 'info' });
      expect(typeof line.durationMs).toBe('number');
      expect(logs.text()).not.toContain(tok);
      expect(logs.text()).not.toContain('session=abc');
    });

    it('generates a request id when none (or an unsafe one) is given', async () => {
      const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
      expect((await call('/health')).headers.get('x-request-id')).toMatch(uuid);
      expect((await call('/health', { headers: { 'x-request-id': 'has "quotes" and spaces' } })).headers.get('x-request-id')).toMatch(uuid);
      expect((await call('/health', { headers: { 'x-request-id': 'x'.repeat(200) } })).headers.get('x-request-id')).toMatch(uuid);
    });

    it('writes Nest’s own logs as JSON', () => {
      expect(logs.find((l) => l.context === 'RoutesResolver' || l.context === 'RouterExplorer')).toBeDefined();
    });
  });

  describe('GET /metrics', () => {
    it('serves the HTTP histogram labelled by route template, and process metrics', async () => {
      await call('/samples/things/thing-1', { token: token('proj-a') });
      await call('/samples/things/some-other-id', { token: token('proj-a') });
      const res = await call('/metrics');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/plain');
      expect(res.text).toMatch(/http_request_duration_seconds_count\{service="platform-test",method="GET",route="\/samples\/things\/:id",status_code="200"\} \d+/);
      expect(res.text).toContain('route="/samples/things/:id",status_code="404"');
      expect(res.text).not.toContain('thing-1');
      expect(res.text).not.toContain('some-other-id');
      expect(res.text).toContain('process_cpu_user_seconds_total');
    });

    it('reports gauges that services collect with an async callback', async () => {
      const { MetricsService } = await import('../src/index.js');
      const metrics = app.get(MetricsService);
      metrics.asyncGauge({ name: 'sample_relay_lag_events', help: 'events not yet published', collect: async () => 42 });
      const res = await call('/metrics');
      expect(res.text).toMatch(/^sample_relay_lag_events\{service="platform-test"\} 42$/m);
    });
  });

  describe('OpenAPI', () => {
    it('serves a valid document with the bearer scheme on protected routes only', async () => {
      const res = await call('/docs-json');
      expect(res.status).toBe(200);
      const doc = res.json as {
        openapi: string;
        info: { title: string };
        components: { securitySchemes: Record<string, unknown> };
        security: unknown[];
        paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, unknown> }>>;
      };
      expect(doc.openapi).toMatch(/^3\./);
      expect(doc.info.title).toBe('Platform test');
      expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
      expect(doc.security).toEqual([{ bearer: [] }]);
      const create = doc.paths['/samples/{datasetId}/batches'].post;
      expect(create.security).toBeUndefined();
      expect(create.responses['401']).toBeDefined();
      expect(doc.paths['/health'].get.security).toEqual([]);
      expect(doc.paths['/metrics'].get.security).toEqual([]);
      expect(JSON.stringify(doc)).not.toContain('x-stagehook-public');
    });

    it('serves the Swagger UI at /docs', async () => {
      const res = await call('/docs');
      expect(res.status).toBe(200);
      expect(res.text).toContain('swagger-ui');
    });
  });

  describe('graceful shutdown', () => {
    it('stops accepting, finishes in-flight requests, runs the hooks, then drains NATS', async () => {
      const probe = app.get(ShutdownProbe);
      const inFlight = call('/samples/held', { token: token('proj-a') });
      await until(() => probe.events.includes('request started'));

      const closing = app.close();
      // New connections are refused while the held request is still being served.
      const port = new URL(base).port;
      await until(
        () =>
          new Promise<boolean>((resolve) => {
            const s = tcpConnect(Number(port), '127.0.0.1');
            s.once('connect', () => (s.destroy(), resolve(false)));
            s.once('error', () => resolve(true));
          }),
        { message: 'the port refuses new connections' },
      );
      expect(probe.events).not.toContain('onModuleDestroy');
      expect(nc.isClosed()).toBe(false);

      probe.open();
      const res = await inFlight;
      expect(res.status).toBe(200);
      await closing;

      expect(probe.events).toEqual(['request started', 'request finished', 'onModuleDestroy', 'beforeApplicationShutdown (nats open)']);
      expect(nc.isClosed()).toBe(true);
      expect(dataSource.isInitialized).toBe(false);
      expect(logs.find((l) => l.msg === 'NATS connection drained')).toBeDefined();
    });
  });
});

describe('GET /health when a dependency is down', () => {
  let db: TestDatabase;
  let app: NestExpressApplication;
  const logs = new LogCapture();

  beforeAll(async () => {
    db = await createTestDatabase('platform_health');
    app = await boot(db, logs);
  });

  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it('answers 503 naming NATS once the NATS connection is closed', async () => {
    await app.get<NatsConnection>(NATS_CONNECTION).close();
    const res = await fetch(`${listeningUrl(app)}/health`);
    const body = (await res.json()) as Record<string, Record<string, { status: string }>>;
    expect(res.status).toBe(503);
    expect(body.error.nats.status).toBe('down');
    expect(body.info.database.status).toBe('up');
    // Liveness ignores dependencies: a NATS or PostgreSQL outage must not get the process restarted.
    const live = await fetch(`${listeningUrl(app)}/health/live`);
    expect(live.status).toBe(200);
  });

  it('answers 503 naming the database once the DataSource is destroyed', async () => {
    await app.get(DataSource).destroy();
    const res = await fetch(`${listeningUrl(app)}/health`);
    const body = (await res.json()) as Record<string, Record<string, { status: string }>>;
    expect(res.status).toBe(503);
    expect(body.error.database.status).toBe('down');
    expect((await fetch(`${listeningUrl(app)}/health/live`)).status).toBe(200);
  });
});
