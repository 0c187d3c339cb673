import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connectTestNats, until } from '@stagehook/testing';
import { Registry } from 'prom-client';
import type { EntityManager } from 'typeorm';
import { DeadLetterHeaders, DeadLetterRepository, Outcome } from '../src/index.js';
import { deadLetterCopies, gate, memoryLogger, metric, publish, recordEffect, statusChanged, TestEnv } from './support.js';

let env: TestEnv;

beforeAll(async () => {
  env = await TestEnv.create('msg_runner');
});

afterAll(async () => {
  await env?.close();
});

describe('ConsumerRunner: idempotency', () => {
  it('handles an event published twice under different msg ids once', async () => {
    const ns = await env.bus();
    const registry = new Registry();
    let calls = 0;
    const runner = env.runner(ns, {
      durable: 'dup',
      metrics: registry,
      handlers: {
        'item.status.changed': async (e, ctx) => {
          calls++;
          await recordEffect(ctx.manager, 'dup', e);
        },
      },
    });
    await runner.start();
    const e = statusChanged('item-dup', 2);
    await publish(env.js, ns, e, { msgID: 'first' });
    await publish(env.js, ns, e, { msgID: 'second' });

    await until(async () => (await metric(registry, 'stagehook_messages_duplicate_total', { consumer: 'dup' })) === 1, {
      message: 'second copy recognised as a duplicate',
    });
    expect(calls).toBe(1);
    expect(await env.effects('dup')).toEqual([expect.objectContaining({ eventId: e.id, version: 2 })]);
    expect(await metric(registry, 'stagehook_messages_handled_total', { consumer: 'dup', type: 'item.status.changed' })).toBe(1);
    await until(async () => (await runner.lag()).ackPending === 0);
    await runner.stop();
  });

  it('a redelivery after a crash between commit and ack has no second effect', async () => {
    const ns = await env.bus();
    // Runner A loses its NATS connection right after the handler ran: the transaction commits,
    // the ack never reaches the server, and the event is redelivered after the ack wait.
    const crashing = await connectTestNats('crashing');
    const registryB = new Registry();
    const handled = gate();
    const a = env.runner(ns, {
      durable: 'crash',
      nats: crashing.nc,
      ackWaitMs: 1_000,
      handlers: {
        'item.status.changed': async (e, ctx) => {
          await recordEffect(ctx.manager, 'crash', e, 'A');
          await crashing.nc.close();
          handled.open();
        },
      },
    });
    await a.start();
    const e = statusChanged('item-crash', 3);
    await publish(env.js, ns, e);
    await handled.wait;
    await until(async () => (await env.effects('crash')).length === 1, { message: 'A committed its effect' });

    let bCalls = 0;
    const b = env.runner(ns, {
      durable: 'crash',
      ackWaitMs: 1_000,
      metrics: registryB,
      handlers: {
        'item.status.changed': async (ev, ctx) => {
          bCalls++;
          await recordEffect(ctx.manager, 'crash', ev, 'B');
        },
      },
    });
    await b.start();
    await until(async () => (await metric(registryB, 'stagehook_messages_duplicate_total', { consumer: 'crash' })) === 1, {
      message: 'B saw the redelivery as a duplicate',
    });
    expect(bCalls).toBe(0);
    expect(await env.effects('crash')).toEqual([expect.objectContaining({ eventId: e.id, runner: 'A' })]);
    await until(async () => (await b.lag()).ackPending === 0, { message: 'B acked the redelivery' });
    await a.stop();
    await b.stop();
    expect(a.state).toBe('stopped');
  });
});

describe('ConsumerRunner: dead letters', () => {
  it('dead-letters malformed messages with their reason, and handles the valid message behind them', async () => {
    const ns = await env.bus();
    const registry = new Registry();
    const runner = env.runner(ns, {
      durable: 'malformed',
      concurrency: 1,
      metrics: registry,
      logger: memoryLogger(),
      handlers: { 'item.status.changed': (e, ctx) => recordEffect(ctx.manager, 'malformed', e) },
    });
    await runner.start();

    const { id: _id, ...noId } = statusChanged('item-m', 1);
    const badData = statusChanged('item-m', 2, { to: 'exploded' as never });
    const tooNew = { ...statusChanged('item-m', 3), dataschemaversion: 2 };
    const wrongSubject = statusChanged('item-m', 4);
    const valid = statusChanged('item-m', 5);
    await publish(env.js, ns, '{nope', { msgID: 'bad-json' });
    await publish(env.js, ns, noId, { msgID: 'no-id' });
    await publish(env.js, ns, badData);
    await publish(env.js, ns, tooNew);
    await publish(env.js, ns, Uint8Array.from([0xff, 0xfe, 0x00, 0x7b]), { msgID: 'binary' });
    await publish(env.js, ns, wrongSubject, { type: 'item.tag.added' });
    await publish(env.js, ns, valid);

    await until(async () => (await env.effects('malformed')).length === 1, { message: 'the valid event was handled' });
    expect((await env.effects('malformed'))[0].eventId).toBe(valid.id);

    const repo = new DeadLetterRepository(env.ds);
    const rows = await until(async () => {
      const r = await repo.list({ consumer: 'malformed' });
      return r.length === 6 ? r : undefined;
    });
    const bySeq = [...rows].sort((x, y) => x.streamSeq - y.streamSeq);
    expect(bySeq.map((r) => r.reason)).toEqual([
      expect.stringMatching(/^body: not valid JSON/),
      expect.stringMatching(/^id: /),
      expect.stringContaining('data.to'),
      expect.stringMatching(/^dataschemaversion: 2 is newer/),
      expect.stringMatching(/^body: not valid JSON/),
      `type: 'item.status.changed' does not match the subject '${ns.subject('item.tag.added')}'`,
    ]);
    expect(bySeq[0]).toMatchObject({ eventId: 'bad-json', eventType: null, payload: '{nope', payloadEncoding: 'utf8', deliveryCount: 1 });
    expect(bySeq[1]).toMatchObject({ eventId: 'no-id', eventType: 'item.status.changed' });
    expect(bySeq[2]).toMatchObject({ eventId: badData.id, eventType: 'item.status.changed', stream: ns.streamName('ITEMS') });
    expect(JSON.parse(bySeq[2].payload)).toEqual(badData);
    expect(bySeq[2].headers['Nats-Msg-Id']).toEqual([badData.id]);
    expect(bySeq[4]).toMatchObject({ payloadEncoding: 'base64', payload: Buffer.from([0xff, 0xfe, 0x00, 0x7b]).toString('base64'), payloadBytes: 4 });

    const copies = await until(async () => {
      const c = await deadLetterCopies(env.jsm, ns, 'malformed');
      return c.length === 6 ? c : undefined;
    });
    for (const copy of copies) {
      const row = rows.find((r) => r.id === copy.header.get(DeadLetterHeaders.Id));
      expect(row).toBeDefined();
      expect(copy.header.get(DeadLetterHeaders.Reason)).toBe(row!.reason);
      expect(copy.header.get(DeadLetterHeaders.Sequence)).toBe(String(row!.streamSeq));
      expect(copy.header.get(DeadLetterHeaders.Consumer)).toBe('malformed');
    }
    // Every message settled: termed or acked, none left to redeliver.
    await until(async () => {
      const lag = await runner.lag();
      return lag.pending === 0 && lag.ackPending === 0;
    });
    expect(await metric(registry, 'stagehook_messages_dead_lettered_total', { consumer: 'malformed' })).toBe(6);
    await runner.stop();
  });

  it('copies of two services whose dead-letter rows share an id both reach the DEADLETTER stream', async () => {
    // Two services: two databases, each numbering its dead letters from 1, one shared stream.
    const other = await TestEnv.create('msg_runner_other');
    try {
      const ns = await env.bus();
      const first = env.runner(ns, { durable: 'svc-a-consumer', logger: memoryLogger(), handlers: { 'item.status.changed': () => Outcome.deadLetter('a refuses') } });
      const second = other.runner(ns, { durable: 'svc-b-consumer', logger: memoryLogger(), handlers: { 'item.status.changed': () => Outcome.deadLetter('b refuses') } });
      await first.start();
      await second.start();
      await publish(env.js, ns, statusChanged('item-dl', 1));
      await until(async () => (await new DeadLetterRepository(other.ds).list({ consumer: 'svc-b-consumer' })).length === 1, { message: 'b recorded' });
      await until(async () => (await new DeadLetterRepository(env.ds).list({ consumer: 'svc-a-consumer' })).length === 1, { message: 'a recorded' });
      await until(async () => (await deadLetterCopies(env.jsm, ns, 'svc-a-consumer')).length === 1, { message: "a's copy" });
      await until(async () => (await deadLetterCopies(env.jsm, ns, 'svc-b-consumer')).length === 1, { message: "b's copy" });
      await first.stop();
      await second.stop();
    } finally {
      await other.close();
    }
  });

  it('acks and skips valid events it has no handler for, checking only their envelope', async () => {
    const ns = await env.bus();
    const registry = new Registry();
    const runner = env.runner(ns, {
      durable: 'skipper',
      metrics: registry,
      handlers: { 'item.status.changed': (e, ctx) => recordEffect(ctx.manager, 'skipper', e) },
    });
    await runner.start();
    const unknown = { ...statusChanged('item-s', 1), type: 'item.future.thing', dataschemaversion: 9, data: { whatever: [1, 2] } };
    await publish(env.js, ns, unknown);
    const valid = statusChanged('item-s', 2);
    await publish(env.js, ns, valid);
    await until(async () => (await env.effects('skipper')).length === 1);
    await until(async () => (await runner.lag()).ackPending === 0);
    expect(await metric(registry, 'stagehook_messages_skipped_total', { consumer: 'skipper', type: 'unknown' })).toBe(1);
    expect(await new DeadLetterRepository(env.ds).count('skipper')).toBe(0);
    await runner.stop();
  });
});

describe('ConsumerRunner: relevant events', () => {
  it('acks events the consumer has no interest in without a transaction, and still dead-letters malformed ones', async () => {
    const ns = await env.bus();
    const registry = new Registry();
    const runner = env.runner(ns, {
      durable: 'picky',
      metrics: registry,
      relevant: (e) => (e.data as { itemId?: string }).itemId !== 'item-ignored',
      handlers: { 'item.status.changed': (e, ctx) => recordEffect(ctx.manager, 'picky', e) },
    });
    await runner.start();
    const ignored = statusChanged('item-ignored', 1);
    const malformed = { ...statusChanged('item-ignored', 2), data: { itemId: 'item-ignored' } };
    const wanted = statusChanged('item-wanted', 1);
    await publish(env.js, ns, ignored);
    await publish(env.js, ns, malformed);
    await publish(env.js, ns, wanted);
    await until(async () => (await env.effects('picky')).length === 1);
    await until(async () => (await runner.lag()).ackPending === 0);
    expect(await metric(registry, 'stagehook_messages_skipped_total', { consumer: 'picky', type: 'item.status.changed' })).toBe(1);
    // No idempotency record: nothing was handled for it.
    const handled = await env.ds.query<{ event_id: string }[]>(`SELECT event_id FROM msg_handled WHERE consumer = $1`, ['picky']);
    expect(handled.map((r) => r.event_id)).toEqual([wanted.id]);
    expect(await new DeadLetterRepository(env.ds).count('picky')).toBe(1);
    await runner.stop();
  });
});

describe('ConsumerRunner: handler outcomes', () => {
  it('a handler failing twice then succeeding is handled once, its effect once', async () => {
    const ns = await env.bus();
    const registry = new Registry();
    const deliveries: number[] = [];
    const runner = env.runner(ns, {
      durable: 'flaky',
      metrics: registry,
      handlers: {
        'item.status.changed': async (e, ctx) => {
          deliveries.push(ctx.deliveryCount);
          // written before the failure: must be rolled back with it
          await recordEffect(ctx.manager, 'flaky', e);
          if (deliveries.length <= 2) throw new Error('flaky dependency');
        },
      },
    });
    await runner.start();
    await publish(env.js, ns, statusChanged('item-f', 1));
    await until(async () => (await metric(registry, 'stagehook_messages_handled_total', { consumer: 'flaky' })) === 1);
    expect(deliveries).toEqual([1, 2, 3]);
    expect(await env.effects('flaky')).toHaveLength(1);
    expect(await metric(registry, 'stagehook_messages_retried_total', { consumer: 'flaky' })).toBe(2);
    expect(await new DeadLetterRepository(env.ds).count('flaky')).toBe(0);
    await runner.stop();
  });

  it('dead-letters a handler that always fails after maxDeliver deliveries, with the reason', async () => {
    const ns = await env.bus();
    let calls = 0;
    const runner = env.runner(ns, {
      durable: 'doomed',
      maxDeliver: 3,
      handlers: {
        'item.status.changed': async (e, ctx) => {
          calls++;
          await recordEffect(ctx.manager, 'doomed', e);
          throw new Error('endpoint exploded');
        },
      },
    });
    await runner.start();
    const e = statusChanged('item-d', 1);
    await publish(env.js, ns, e);
    const repo = new DeadLetterRepository(env.ds);
    const [row] = await until(async () => {
      const r = await repo.list({ consumer: 'doomed' });
      return r.length ? r : undefined;
    });
    expect(row).toMatchObject({ reason: 'failed after 3 deliveries: endpoint exploded', deliveryCount: 3, eventId: e.id, eventType: 'item.status.changed' });
    expect(calls).toBe(3);
    expect(await env.effects('doomed')).toEqual([]);
    const copies = await until(async () => {
      const c = await deadLetterCopies(env.jsm, ns, 'doomed');
      return c.length ? c : undefined;
    });
    expect(copies[0].header.get(DeadLetterHeaders.Reason)).toBe('failed after 3 deliveries: endpoint exploded');
    expect(copies[0].header.get(DeadLetterHeaders.EventId)).toBe(e.id);
    expect(copies[0].json()).toEqual(e);
    await until(async () => (await runner.lag()).ackPending === 0, { message: 'message termed' });
    await runner.stop();
  });

  it('a handler returning deadLetter() is dead-lettered at once, and its writes are rolled back', async () => {
    const ns = await env.bus();
    let calls = 0;
    const runner = env.runner(ns, {
      durable: 'refuser',
      handlers: {
        'item.status.changed': async (e, ctx) => {
          calls++;
          await recordEffect(ctx.manager, 'refuser', e);
          return Outcome.deadLetter('project proj-1 no longer exists');
        },
      },
    });
    await runner.start();
    await publish(env.js, ns, statusChanged('item-r', 1));
    const repo = new DeadLetterRepository(env.ds);
    const [row] = await until(async () => {
      const r = await repo.list({ consumer: 'refuser' });
      return r.length ? r : undefined;
    });
    expect(row).toMatchObject({ reason: 'project proj-1 no longer exists', deliveryCount: 1 });
    expect(calls).toBe(1);
    expect(await env.effects('refuser')).toEqual([]);
    await runner.stop();
  });

  it('a handler returning retry() is redelivered after its delay', async () => {
    const ns = await env.bus();
    const times: number[] = [];
    const runner = env.runner(ns, {
      durable: 'later',
      handlers: {
        'item.status.changed': async (e, ctx) => {
          times.push(Date.now());
          if (times.length === 1) return Outcome.retry({ delayMs: 400, reason: 'receiver asked to slow down' });
          await recordEffect(ctx.manager, 'later', e);
        },
      },
    });
    await runner.start();
    await publish(env.js, ns, statusChanged('item-l', 1));
    await until(async () => (await env.effects('later')).length === 1);
    expect(times).toHaveLength(2);
    expect(times[1] - times[0]).toBeGreaterThanOrEqual(350);
    await runner.stop();
  });

  // A handler bug: the failed statement aborted the transaction, and COMMIT would silently roll
  // back. Through TypeORM, or straight through the transaction's pg client as the event store sends.
  const failThroughTypeorm = (m: EntityManager) => m.query('SELECT 1 / 0');
  const failThroughPg = async (m: EntityManager) => ((await m.queryRunner!.connect()) as { query(text: string): Promise<unknown> }).query('SELECT 1 / 0');
  it.each([
    ['through TypeORM', 'swallower', failThroughTypeorm],
    ['sent straight through pg', 'raw-swallower', failThroughPg],
  ])('does not ack an event whose handler swallowed the error of a statement %s (its transaction was aborted)', async (_how, durable, fail) => {
    const ns = await env.bus();
    let calls = 0;
    const runner = env.runner(ns, {
      durable,
      handlers: {
        'item.status.changed': async (e, ctx) => {
          calls++;
          await recordEffect(ctx.manager, durable, e);
          if (calls === 1) await fail(ctx.manager).catch(() => undefined);
        },
      },
    });
    await runner.start();
    await publish(env.js, ns, statusChanged(`item-${durable}`, 1));
    await until(async () => (await env.effects(durable)).length === 1, { message: 'the retry committed the effect' });
    expect(calls).toBe(2);
    await runner.stop();
  });

  it('commits a transaction none of whose statements failed without probing it first', async () => {
    const ns = await env.bus();
    const sent: string[] = [];
    const spy = { beforeQuery: (e: { query: string }) => void sent.push(e.query.trim()) };
    env.ds.subscribers.push(spy as never);
    try {
      const runner = env.runner(ns, {
        durable: 'no-probe',
        handlers: { 'item.status.changed': async (e, ctx) => recordEffect(ctx.manager, 'no-probe', e) },
      });
      await runner.start();
      await publish(env.js, ns, statusChanged('item-np', 1));
      await until(async () => (await env.effects('no-probe')).length === 1);
      await runner.stop();
    } finally {
      env.ds.subscribers.splice(env.ds.subscribers.indexOf(spy as never), 1);
    }
    expect(sent).toContain('COMMIT');
    expect(sent).not.toContain('SELECT 1');
  });
});

describe('ConsumerRunner: long handlers and outages', () => {
  it('a handler that runs longer than the ack wait is not redelivered', async () => {
    const ns = await env.bus();
    const registry = new Registry();
    let calls = 0;
    const runner = env.runner(ns, {
      durable: 'slow',
      ackWaitMs: 1_000,
      metrics: registry,
      handlers: {
        'item.status.changed': async (e, ctx) => {
          calls++;
          // slow work, 2.5 × the ack wait
          await new Promise((r) => setTimeout(r, 2_500));
          await recordEffect(ctx.manager, 'slow', e);
        },
      },
    });
    await runner.start();
    await publish(env.js, ns, statusChanged('item-slow', 1));
    await until(async () => (await env.effects('slow')).length === 1, { timeoutMs: 8_000 });
    const info = await env.jsm.consumers.info(ns.streamName('ITEMS'), ns.durable('slow'));
    expect(info.num_redelivered).toBe(0);
    expect(info.delivered.consumer_seq).toBe(1);
    expect(calls).toBe(1);
    expect(await metric(registry, 'stagehook_messages_duplicate_total', { consumer: 'slow' })).toBe(0);
    await runner.stop();
  });

  it('retries in place through a lost database connection, without spending a delivery', async () => {
    const ns = await env.bus();
    const registry = new Registry();
    const deliveries: number[] = [];
    const runner = env.runner(ns, {
      durable: 'outage',
      metrics: registry,
      handlers: {
        'item.status.changed': async (e, ctx) => {
          deliveries.push(ctx.deliveryCount);
          if (deliveries.length === 1) await ctx.manager.query('SELECT pg_terminate_backend(pg_backend_pid())');
          await recordEffect(ctx.manager, 'outage', e);
        },
      },
    });
    await runner.start();
    await publish(env.js, ns, statusChanged('item-o', 1));
    await until(async () => (await env.effects('outage')).length === 1);
    expect(deliveries).toEqual([1, 1]);
    expect(await metric(registry, 'stagehook_messaging_infra_errors_total', { consumer: 'outage', stage: 'handle' })).toBe(1);
    expect(await metric(registry, 'stagehook_messages_retried_total', { consumer: 'outage' })).toBe(0);
    await runner.stop();
  });

  it('reports lag from the consumer info', async () => {
    const ns = await env.bus();
    const g = gate();
    const registry = new Registry();
    const runner = env.runner(ns, {
      durable: 'laggy',
      concurrency: 1,
      maxInFlight: 2,
      metrics: registry,
      handlers: {
        'item.status.changed': async (e, ctx) => {
          await g.wait;
          await recordEffect(ctx.manager, 'laggy', e);
        },
      },
    });
    await runner.start();
    for (let v = 1; v <= 5; v++) await publish(env.js, ns, statusChanged('item-lag', v));
    await until(
      async () => {
        const lag = await runner.lag();
        return lag.pending === 3 && lag.ackPending === 2;
      },
      { message: 'window of 2 held, 3 waiting in the stream' },
    );
    expect(runner.inFlight()).toEqual({ running: 1, queued: 1 });
    const exposition = await registry.metrics();
    expect(exposition).toContain('stagehook_consumer_pending_messages{consumer="laggy"} 3');
    expect(exposition).toContain('stagehook_consumer_ack_pending_messages{consumer="laggy"} 2');
    g.open();
    await until(async () => (await env.effects('laggy')).length === 5);
    await until(async () => {
      const lag = await runner.lag();
      return lag.pending === 0 && lag.ackPending === 0;
    });
    await runner.stop();
    // a stopped runner leaves the gauges
    expect(await registry.metrics()).not.toContain('consumer="laggy"} ');
  });
});
