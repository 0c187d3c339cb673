import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { jetstream, type JetStreamManager } from '@nats-io/jetstream';
import { BusNamespace } from '@stagehook/contracts';
import * as platform from '@stagehook/platform';
import type { NatsConnection } from '@stagehook/platform';
import { bootService, type BootedService, LogCapture, connectTestNats, deleteNamespace, uniqueName, until } from '@stagehook/testing';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { webhooksService } from './support.js';

const SECRET_KEYS = `k1:${randomBytes(32).toString('base64')}`;
const TYPE = 'model.training.completed';

const schemaV1 = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  required: ['runId', 'accuracy'],
  properties: { runId: { type: 'string', minLength: 1 }, accuracy: { type: 'number', minimum: 0, maximum: 1 } },
  additionalProperties: false,
};
// v2 breaks v1 payloads: accuracy moved under metrics.
const schemaV2 = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  required: ['runId', 'metrics'],
  properties: {
    runId: { type: 'string', minLength: 1 },
    metrics: { type: 'object', required: ['accuracy'], properties: { accuracy: { type: 'number' } } },
  },
  additionalProperties: false,
};

interface Answer {
  status: number;
  json: Record<string, unknown>;
}

describe('event-type catalogue and publishing, over HTTP, PostgreSQL and NATS', () => {
  let svc: BootedService<NestExpressApplication>;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let pool: pg.Pool;
  const ns = new BusNamespace(uniqueName('wh_publish'));
  const logs = new LogCapture();
  let admin: string;
  let publisher: string;
  let otherProject: string;

  async function call(method: string, path: string, body?: unknown, token = admin, headers: Record<string, string> = {}): Promise<Answer> {
    const { status, json } = await svc.call<Record<string, unknown>>(method, path, body, { token, headers });
    return { status, json };
  }

  async function published(): Promise<Array<{ event_id: string; data: Record<string, unknown> }>> {
    const r = await pool.query<{ event_id: string; data: Record<string, unknown> }>(
      `SELECT event_id::text, data FROM es_events WHERE type = 'webhook.event.published' ORDER BY global_position`,
    );
    return r.rows;
  }

  /** Published on the bus by the relay: what delivery will consume. */
  async function onBus(eventId: string): Promise<boolean> {
    const name = ns.streamName('WEBHOOKS');
    const count = (await jsm.streams.info(name)).state.messages;
    const consumer = await jetstream(nc).consumers.get(name);
    for (let i = 0; i < count; i++) {
      const m = await consumer.next({ expires: 1000 });
      if (!m) return false;
      if (m.subject === ns.subject('webhook.event.published') && (JSON.parse(m.string()) as { id: string }).id === eventId) return true;
    }
    return false;
  }

  beforeAll(async () => {
    ({ nc, jsm } = await connectTestNats('webhooks-publish-int'));
    svc = await bootService(platform, webhooksService, { namespace: ns.prefix, secretKeys: SECRET_KEYS, logDestination: logs, env: { DEAD_LETTER_OPERATORS: 'proj-a' } });
    pool = new pg.Pool({ connectionString: svc.database.url, max: 2 });
    admin = svc.token('proj-a', { actor: { kind: 'user', id: 'ana' } });
    publisher = svc.token('proj-a', { actor: { kind: 'service', id: 'trainer' }, scopes: ['publish'] });
    otherProject = svc.token('proj-b', { scopes: ['publish'] });
  });

  afterAll(async () => {
    await pool?.end();
    await svc?.close();
    await deleteNamespace(jsm, ns.prefix);
    await nc?.drain();
  });

  it('registers a type with a schema, attributed to the actor, and lists it beside the read-only built-in types', async () => {
    const bad = await call('POST', '/event-types', { name: TYPE, description: 'A training run finished', schema: { type: 'objekt' } });
    expect(bad.status).toBe(422);
    expect(bad.json.message).toMatch(/schema/);
    const badExample = await call('POST', '/event-types', { name: TYPE, description: 'd', schema: schemaV1, examples: [{ runId: 'r1', accuracy: 2 }] });
    expect(badExample.status).toBe(422);
    expect(badExample.json.message).toContain('examples[0].accuracy');
    const reserved = await call('POST', '/event-types', { name: 'item.exploded', description: 'd', schema: schemaV1 });
    expect(reserved).toMatchObject({ status: 422, json: { error: 'RESERVED_EVENT_TYPE' } });

    const res = await call('POST', '/event-types', { name: TYPE, description: 'A training run finished', schema: schemaV1, examples: [{ runId: 'r1', accuracy: 0.9 }] });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ name: TYPE, builtIn: false, latestVersion: 1, deprecated: null, versions: [{ version: 1, by: 'user:ana' }] });
    expect((await call('POST', '/event-types', { name: TYPE, description: 'again', schema: schemaV1 })).status).toBe(409);

    const list = await call('GET', '/event-types');
    const names = (list.json.data as Array<{ name: string; builtIn: boolean }>).map((t) => [t.name, t.builtIn]);
    expect(names).toEqual(
      expect.arrayContaining([
        [TYPE, false],
        ['item.status.changed', true],
      ]),
    );
    // Another project does not see it; built-in types cannot be versioned.
    expect((await call('GET', `/event-types/${TYPE}`, undefined, otherProject)).status).toBe(404);
    expect((await call('POST', '/event-types/item.status.changed/versions', { schema: { type: 'object' } })).status).toBe(404);
  });

  it('accepts a valid event only with the publish scope, durably, and refuses an invalid one naming every failing path', async () => {
    const noScope = await call('POST', '/events', { type: TYPE, data: { runId: 'r1', accuracy: 0.5 } }, admin);
    expect(noScope).toMatchObject({ status: 403, json: { error: 'PUBLISH_SCOPE_REQUIRED' } });

    const invalid = await call('POST', '/events', { type: TYPE, data: { accuracy: 7, extra: 1 } }, publisher);
    expect(invalid.status).toBe(422);
    const paths = ((invalid.json.details as { errors: Array<{ path: string }> }).errors ?? []).map((e) => e.path).sort();
    expect(paths).toEqual(['data.accuracy', 'data.extra', 'data.runId']);

    const unregistered = await call('POST', '/events', { type: 'model.unknown.thing', data: {} }, publisher);
    expect(unregistered).toMatchObject({ status: 422, json: { error: 'UNREGISTERED_EVENT_TYPE' } });
    // Another project's catalogue does not have the type.
    expect((await call('POST', '/events', { type: TYPE, data: { runId: 'r1', accuracy: 0.5 } }, otherProject)).status).toBe(422);
    expect(await published()).toHaveLength(0);

    const ok = await call('POST', '/events', { type: TYPE, data: { runId: 'r1', accuracy: 0.5 } }, publisher);
    expect(ok.status).toBe(202);
    expect(ok.json).toMatchObject({ type: TYPE, version: 1 });
    // Durable before the answer: the row is there as soon as the 202 is.
    const rows = await published();
    expect(rows.map((r) => r.event_id)).toEqual([ok.json.id]);
    expect(rows[0].data).toMatchObject({
      projectId: 'proj-a',
      eventType: TYPE,
      schemaVersion: 1,
      payload: { runId: 'r1', accuracy: 0.5 },
      via: 'http',
      publishedBy: 'service:trainer',
    });
    await until(() => onBus(ok.json.id as string), { message: 'the accepted event on the WEBHOOKS stream' });
  });

  it('honours an Idempotency-Key: a repeat answers the first result and stores nothing new; another body is a 409', async () => {
    const body = { type: TYPE, data: { runId: 'r-idem', accuracy: 0.1 } };
    const key = `k-${randomUUID()}`;
    const before = (await published()).length;
    const first = await call('POST', '/events', body, publisher, { 'idempotency-key': key });
    const [second, third] = await Promise.all([
      call('POST', '/events', body, publisher, { 'idempotency-key': key }),
      call('POST', '/events', body, publisher, { 'idempotency-key': key }),
    ]);
    expect(first.status).toBe(202);
    expect(second).toEqual(first);
    expect(third).toEqual(first);
    expect((await published()).length).toBe(before + 1);
    const other = await call('POST', '/events', { ...body, data: { runId: 'r-other', accuracy: 0.2 } }, publisher, { 'idempotency-key': key });
    expect(other).toMatchObject({ status: 409, json: { error: 'IDEMPOTENCY_KEY_REUSED' } });
    // The same key in another project is another key.
    expect((await call('POST', '/events', body, otherProject, { 'idempotency-key': key })).status).toBe(422);
    // A key outside its 24 h window is free again: the same request publishes anew.
    await pool.query(`UPDATE webhook_publish_keys SET created_at = now() - interval '25 hours' WHERE idempotency_key = $1`, [key]);
    const later = await call('POST', '/events', body, publisher, { 'idempotency-key': key });
    expect(later.status).toBe(202);
    expect(later.json.id).not.toBe(first.json.id);
    expect((await published()).length).toBe(before + 2);
  });

  it('refuses a payload above 256 KiB with a 422 naming data, never a 500', async () => {
    const big = await call('POST', '/events', { type: TYPE, data: { runId: 'x'.repeat(300_000), accuracy: 0.1 } }, publisher);
    expect(big.status).toBe(422);
    expect((big.json.details as { errors: Array<{ path: string }> }).errors[0].path).toBe('data');
  });

  it('keeps old versions: a v2 schema refuses v1 payloads as v2 but accepts them as version 1', async () => {
    const v2 = await call('POST', `/event-types/${TYPE}/versions`, { schema: schemaV2 });
    expect(v2).toMatchObject({ status: 201, json: { latestVersion: 2 } });
    const oldAsLatest = await call('POST', '/events', { type: TYPE, data: { runId: 'r2', accuracy: 0.3 } }, publisher);
    expect(oldAsLatest.status).toBe(422);
    expect(((oldAsLatest.json.details as { errors: Array<{ path: string }> }).errors ?? []).map((e) => e.path).sort()).toEqual(['data.accuracy', 'data.metrics']);
    const oldAsV1 = await call('POST', '/events', { type: TYPE, version: 1, data: { runId: 'r2', accuracy: 0.3 } }, publisher);
    expect(oldAsV1).toMatchObject({ status: 202, json: { version: 1 } });
    const newAsV2 = await call('POST', '/events', { type: TYPE, data: { runId: 'r3', metrics: { accuracy: 0.4 } } }, publisher);
    expect(newAsV2).toMatchObject({ status: 202, json: { version: 2 } });
    expect((await call('POST', '/events', { type: TYPE, version: 3, data: {} }, publisher)).json.error).toBe('UNKNOWN_SCHEMA_VERSION');
  });

  it('publishes a batch all or nothing, naming the failing events[i] paths', async () => {
    const before = (await published()).length;
    const bad = await call(
      'POST',
      '/events/batch',
      {
        events: [
          { type: TYPE, data: { runId: 'b1', metrics: { accuracy: 1 } } },
          { type: TYPE, data: { runId: '' } },
        ],
      },
      publisher,
    );
    expect(bad.status).toBe(422);
    expect(((bad.json.details as { errors: Array<{ path: string }> }).errors ?? []).map((e) => e.path).sort()).toEqual(['events[1].data.metrics', 'events[1].data.runId']);
    expect((await published()).length).toBe(before);
    const events = Array.from({ length: 1000 }, (_, i) => ({ type: TYPE, data: { runId: `b${i}`, metrics: { accuracy: 0.5 } } }));
    const ok = await call('POST', '/events/batch', { events }, publisher);
    expect(ok.status).toBe(202);
    expect((ok.json.data as unknown[]).length).toBe(1000);
    expect((await published()).length).toBe(before + 1000);
    expect((await call('POST', '/events/batch', { events: [...events, events[0]] }, publisher)).status).toBe(400);
  });

  it('lets subscriptions name registered types and wildcards over them, and refuses new subscriptions to a deprecated type', async () => {
    const endpoint = { name: 'ML', url: 'http://127.0.0.1:9/hook', timeoutMs: 1000 };
    const exact = await call('POST', '/endpoints', { ...endpoint, eventTypes: [TYPE] });
    expect(exact.status).toBe(201);
    expect((await call('POST', '/endpoints', { ...endpoint, eventTypes: ['model.*'] })).status).toBe(201);
    expect((await call('POST', '/endpoints', { ...endpoint, eventTypes: ['model.nothing.*'] })).json.error).toBe('UNKNOWN_EVENT_TYPES');
    // Another project has not registered it.
    expect((await call('POST', '/endpoints', { ...endpoint, eventTypes: [TYPE] }, otherProject)).json.error).toBe('UNKNOWN_EVENT_TYPES');

    const dep = await call('POST', `/event-types/${TYPE}/deprecate`, { reason: 'use model.training.finished' });
    expect(dep).toMatchObject({ status: 200, json: { deprecated: { reason: 'use model.training.finished', by: 'user:ana' } } });
    const refused = await call('POST', '/endpoints', { ...endpoint, eventTypes: [TYPE] });
    expect(refused).toMatchObject({ status: 422, json: { error: 'DEPRECATED_EVENT_TYPES' } });
    // The endpoint that subscribed before keeps its subscription through an unrelated change…
    expect((await call('PATCH', `/endpoints/${exact.json.id as string}`, { name: 'ML renamed', eventTypes: [TYPE] })).status).toBe(200);
    // …and events of the type are still accepted (delivery to existing subscribers goes on).
    expect((await call('POST', '/events', { type: TYPE, data: { runId: 'r9', metrics: { accuracy: 1 } } }, publisher)).status).toBe(202);
  });

  it('accepts bus events of registered types with their own id, and dead-letters malformed or unregistered ones with the reason', async () => {
    const js = jetstream(nc);
    const cloudEvent = (over: Record<string, unknown>) => ({
      specversion: '1.0',
      id: randomUUID(),
      source: 'trainer',
      type: TYPE,
      time: new Date().toISOString(),
      datacontenttype: 'application/json',
      dataschemaversion: 2,
      projectid: 'proj-a',
      data: { runId: 'bus-1', metrics: { accuracy: 0.8 } },
      ...over,
    });
    const subject = ns.subject(`published.${TYPE}`);
    const good = cloudEvent({});
    await js.publish(subject, JSON.stringify(good), { msgID: good.id });
    // The same event again (after the bus's duplicate window, say): accepted once.
    await js.publish(subject, JSON.stringify(good));
    const unregistered = cloudEvent({ type: 'model.secret.plan' });
    await js.publish(ns.subject('published.model.secret.plan'), JSON.stringify(unregistered));
    const invalid = cloudEvent({ data: { runId: 'bus-2' } });
    await js.publish(subject, JSON.stringify(invalid));
    const mismatched = cloudEvent({});
    await js.publish(ns.subject('published.model.other.type'), JSON.stringify(mismatched));
    await js.publish(subject, 'not json at all');

    const rows = await until(
      async () => {
        const r = await pool.query<{ event_id: string | null; reason: string }>(
          `SELECT event_id, reason FROM msg_dead_letters WHERE consumer = 'webhooks-published-intake' ORDER BY id`,
        );
        return r.rows.length >= 4 ? r.rows : null;
      },
      { message: 'four dead letters' },
    );
    const reasonOf = (id: string) => rows.find((r) => r.event_id === id)?.reason;
    expect(reasonOf(unregistered.id as string)).toMatch(/model\.secret\.plan is not registered/);
    expect(reasonOf(invalid.id as string)).toMatch(/data\.metrics/);
    expect(reasonOf(mismatched.id as string)).toMatch(/does not match the subject/);
    expect(rows.some((r) => /not valid JSON/.test(r.reason))).toBe(true);
    // Operators redrive them through the registry's one dead-letter API, which knows the
    // catalogue's consumer as well as the endpoints' (two modules, two consumer hosts).
    const listed = await call('GET', '/dead-letters?consumer=webhooks-published-intake');
    expect(listed.status).toBe(200);
    expect(listed.json.consumers).toEqual(expect.arrayContaining(['webhooks-published-intake', 'webhooks-delivery-disables']));
    const replayed = await call('POST', '/dead-letters/replay', { consumer: 'webhooks-published-intake', reason: 'not registered' });
    expect(replayed.status).toBe(200);
    expect(JSON.stringify(replayed.json)).toContain('dead-lettered-again');

    const accepted = await until(async () => (await published()).filter((r) => r.event_id === good.id));
    expect(accepted).toHaveLength(1);
    expect(accepted[0].data).toMatchObject({ eventType: TYPE, schemaVersion: 2, via: 'bus', publishedBy: 'service:trainer' });
    const refused = new Set<string>([unregistered.id, invalid.id, mismatched.id]);
    expect((await published()).filter((r) => refused.has(r.event_id))).toHaveLength(0);
  });

  it('serves the catalogue as an AsyncAPI 3 document', async () => {
    const doc = await call('GET', '/asyncapi');
    expect(doc.status).toBe(200);
    expect(doc.json.asyncapi).toBe('3.0.0');
    expect(JSON.stringify(doc.json.channels)).toContain(TYPE);
  });
});
