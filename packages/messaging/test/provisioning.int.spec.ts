import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AckPolicy, DeliverPolicy, RetentionPolicy } from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import { BusNamespace } from '@stagehook/contracts';
import { uniqueName } from '@stagehook/testing';
import { randomUUID } from 'node:crypto';
import { DeadLetterRepository, ensureConsumer, ensureStreams, HandledEventRepository, messagingMigrations, type NewDeadLetter } from '../src/index.js';
import { TestEnv } from './support.js';

let env: TestEnv;

beforeAll(async () => {
  env = await TestEnv.create('msg_prov');
});

afterAll(async () => {
  await env?.close();
});

const MIN = 60 * 1000;
const DAY = 24 * 60 * MIN;

describe('ensureStreams', () => {
  it('creates every service stream and the DEADLETTER stream, file-backed with a 2-minute dedupe window', async () => {
    const ns = new BusNamespace(uniqueName('prov'));
    const infos = await ensureStreams(env.jsm, ns);
    env.track(...infos.map((i) => i.config.name));
    expect(infos.map((i) => i.config.name)).toEqual(['WORKFLOW', 'ITEMS', 'WEBHOOKS', 'DELIVERY', 'PUBLISHED', 'DEADLETTER'].map((k) => `${ns.prefix}_${k}`));
    const items = infos[1].config;
    expect(items).toMatchObject({
      subjects: [`${ns.prefix}.item.>`],
      storage: 'file',
      retention: 'limits',
      discard: 'new',
      duplicate_window: nanos(2 * MIN),
      max_age: nanos(7 * DAY),
      max_bytes: 1024 ** 3,
    });
    expect(infos[4].config).toMatchObject({ subjects: [`${ns.prefix}.published.>`] });
    expect(infos[5].config).toMatchObject({ subjects: [`${ns.prefix}.deadletter.>`], max_age: nanos(30 * DAY) });
  });

  it('is a no-op the second time, and updates a stream whose limits changed', async () => {
    const ns = new BusNamespace(uniqueName('prov'));
    const [first] = await ensureStreams(env.jsm, ns, ['ITEMS']);
    env.track(first.config.name);
    const [again] = await ensureStreams(env.jsm, ns, ['ITEMS']);
    expect(again.created).toBe(first.created);
    expect(again.config).toEqual(first.config);

    const [updated] = await ensureStreams(env.jsm, ns, ['ITEMS'], { maxAgeMs: DAY, perStream: { ITEMS: { maxBytes: 1024 ** 2 } } });
    expect(updated.created).toBe(first.created);
    expect(updated.config).toMatchObject({ max_age: nanos(DAY), max_bytes: 1024 ** 2 });
    expect((await env.jsm.streams.info(first.config.name)).config.max_age).toBe(nanos(DAY));
  });

  it('deduplicates a republished msg id inside the window', async () => {
    const ns = new BusNamespace(uniqueName('prov'));
    const [s] = await ensureStreams(env.jsm, ns, ['ITEMS']);
    env.track(s.config.name);
    const id = randomUUID();
    expect((await env.js.publish(ns.subject('item.status.changed'), '{}', { msgID: id })).duplicate).toBe(false);
    expect((await env.js.publish(ns.subject('item.status.changed'), '{}', { msgID: id })).duplicate).toBe(true);
  });

  it('refuses to change a stream created with another retention: that needs a migration', async () => {
    const ns = new BusNamespace(uniqueName('prov'));
    await env.jsm.streams.add({ name: ns.streamName('ITEMS'), subjects: ns.streamSubjects('ITEMS'), retention: RetentionPolicy.Workqueue });
    env.track(ns.streamName('ITEMS'));
    await expect(ensureStreams(env.jsm, ns, ['ITEMS'])).rejects.toThrow(/retention 'workqueue'.*migration/);
  });
});

describe('ensureConsumer', () => {
  it('creates a durable explicit-ack pull consumer, is idempotent, and updates its limits', async () => {
    const ns = new BusNamespace(uniqueName('prov'));
    const [s] = await ensureStreams(env.jsm, ns, ['ITEMS']);
    env.track(s.config.name);
    const spec = {
      stream: s.config.name,
      durable: ns.durable('projector'),
      filterSubject: ns.subject('item.status.changed'),
      ackWaitMs: 10_000,
      maxDeliver: 7,
      maxAckPending: 64,
    };
    // three replicas starting at once
    const infos = await Promise.all([ensureConsumer(env.jsm, spec), ensureConsumer(env.jsm, spec), ensureConsumer(env.jsm, spec)]);
    const ci = infos[0];
    expect(ci.config).toMatchObject({
      durable_name: spec.durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: spec.filterSubject,
      ack_wait: nanos(10_000),
      max_deliver: 7,
      max_ack_pending: 64,
    });
    expect(ci.config.deliver_subject).toBeUndefined();
    const list: string[] = [];
    for await (const c of env.jsm.consumers.list(s.config.name)) list.push(c.name);
    expect(list).toEqual([spec.durable]);

    const same = await ensureConsumer(env.jsm, spec);
    expect(same.created).toBe(ci.created);

    const updated = await ensureConsumer(env.jsm, { ...spec, ackWaitMs: 20_000, maxDeliver: 3 });
    expect(updated.created).toBe(ci.created);
    expect(updated.config).toMatchObject({ ack_wait: nanos(20_000), max_deliver: 3, max_ack_pending: 64 });

    await expect(ensureConsumer(env.jsm, { ...spec, deliverPolicy: DeliverPolicy.New })).rejects.toThrow(/deliver policy cannot change/);
    await expect(ensureConsumer(env.jsm, { ...spec, durable: 'not.valid' })).rejects.toThrow(/invalid durable/);
  });
});

describe('repositories', () => {
  const deadLetter = (over: Partial<NewDeadLetter> = {}): NewDeadLetter => ({
    consumer: 'repo',
    stream: 'ITEMS',
    subject: 'item.status.changed',
    streamSeq: 1,
    storedAt: new Date('2026-11-23T10:00:00.000Z'),
    eventId: randomUUID(),
    eventType: 'item.status.changed',
    reason: 'data.to: must be one of …',
    payload: '{}',
    payloadEncoding: 'utf8',
    payloadBytes: 2,
    payloadTruncated: false,
    headers: { 'Nats-Msg-Id': ['x'] },
    deliveryCount: 1,
    ...over,
  });

  it('records a dead letter once per message, and lists newest first with keyset pages and filters', async () => {
    const repo = new DeadLetterRepository(env.ds);
    const first = await repo.record(deadLetter({ streamSeq: 1 }));
    expect(first.created).toBe(true);
    const again = await repo.record(deadLetter({ streamSeq: 1, reason: 'failed after 2 deliveries: x', deliveryCount: 2 }));
    expect(again).toEqual({ id: first.id, created: false });
    expect(await repo.get(first.id)).toMatchObject({ reason: 'failed after 2 deliveries: x', deliveryCount: 2, headers: { 'Nats-Msg-Id': ['x'] } });

    const target = deadLetter({ streamSeq: 2 });
    await repo.record(target);
    await repo.record(deadLetter({ streamSeq: 3, reason: 'nul \u0000 inside' }));
    await repo.record(deadLetter({ consumer: 'other', streamSeq: 4 }));

    const page1 = await repo.list({ consumer: 'repo', limit: 2 });
    expect(page1.map((d) => d.streamSeq)).toEqual([3, 2]);
    expect(page1[0].reason).toBe('nul \uFFFD inside');
    const page2 = await repo.list({ consumer: 'repo', limit: 2, beforeId: page1[1].id });
    expect(page2.map((d) => d.streamSeq)).toEqual([1]);
    expect((await repo.list({ eventId: target.eventId! })).map((d) => d.streamSeq)).toEqual([2]);
    expect(await repo.count('repo')).toBe(3);
    expect(await repo.count()).toBe(4);
  });

  it('claims an event id once, and purges handled ids older than N days in batches', async () => {
    const repo = new HandledEventRepository(env.ds);
    const id = randomUUID();
    expect(await repo.claim('purge', id)).toBe(true);
    expect(await repo.claim('purge', id)).toBe(false);
    expect(await repo.claim('purge-other', id)).toBe(true);
    for (let i = 0; i < 5; i++) {
      await env.ds.query(`INSERT INTO msg_handled (consumer, event_id, handled_at) VALUES ('purge', $1, now() - interval '10 days')`, [randomUUID()]);
    }
    expect(await repo.purgeOlderThan(7, { batchSize: 2 })).toBe(5);
    expect(await repo.isHandled('purge', id)).toBe(true);
    const left: { n: number }[] = await env.ds.query(`SELECT count(*)::int AS n FROM msg_handled WHERE consumer LIKE 'purge%'`);
    expect(left[0].n).toBe(2);
  });

  it('migrations go down and up again', async () => {
    await env.ds.undoLastMigration(); // the test table
    for (let i = 0; i < messagingMigrations.length; i++) await env.ds.undoLastMigration();
    const gone: { n: number }[] = await env.ds.query(`SELECT count(*)::int AS n FROM pg_tables WHERE tablename IN ('msg_handled', 'msg_dead_letters')`);
    expect(gone[0].n).toBe(0);
    await env.ds.runMigrations();
    const back: { n: number }[] = await env.ds.query(`SELECT count(*)::int AS n FROM pg_tables WHERE tablename IN ('msg_handled', 'msg_dead_letters')`);
    expect(back[0].n).toBe(2);
  });
});
