import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { until } from '@stagehook/testing';
import { Registry } from 'prom-client';
import { DeadLetterRepository, Outcome, type BatchItem, type HandlerOutcome } from '../src/index.js';
import { gate, metric, publish, recordEffect, statusChanged, TestEnv, type StatusChanged } from './support.js';

let env: TestEnv;

beforeAll(async () => {
  env = await TestEnv.create('msg_batch');
});

afterAll(async () => {
  await env?.close();
});

const noHandlers = {};

describe('ConsumerRunner: batch handler', () => {
  it('handles many events per transaction, each exactly once, a republished copy as a duplicate', async () => {
    const ns = await env.bus();
    const registry = new Registry();
    const sizes: number[] = [];
    const runner = env.runner(ns, {
      durable: 'batch-many',
      concurrency: 16,
      metrics: registry,
      handlers: noHandlers,
      batch: {
        types: ['item.status.changed'],
        handle: async (items, ctx) => {
          sizes.push(items.length);
          for (const it of items) await recordEffect(ctx.manager, 'batch-many', it.event as StatusChanged);
        },
      },
    });
    const events = Array.from({ length: 200 }, (_, i) => statusChanged(`item-b${i}`, 1));
    await Promise.all(events.map((e) => publish(env.js, ns, e)));
    await publish(env.js, ns, events[7], { msgID: 'republished' });
    await runner.start();
    await until(async () => (await env.effects('batch-many')).length === 200, { message: '200 effects' });
    await until(async () => (await metric(registry, 'stagehook_messages_duplicate_total', { consumer: 'batch-many' })) === 1, {
      message: 'the republished copy seen as a duplicate',
    });
    const effects = await env.effects('batch-many');
    expect(new Set(effects.map((e) => e.eventId)).size).toBe(200);
    expect(Math.max(...sizes)).toBeGreaterThan(1);
    await until(async () => (await runner.lag()).ackPending === 0);
  });

  it('fills its batches whatever the concurrency: the events waiting for a flush hold no connection', async () => {
    const ns = await env.bus();
    const sizes: number[] = [];
    const runner = env.runner(ns, {
      durable: 'batch-fill',
      // A service's default for per-event handlers, each of which holds a connection.
      concurrency: 2,
      handlers: noHandlers,
      batch: {
        types: ['item.status.changed'],
        // A request to another service before each event's transaction.
        prepare: async () => new Promise((resolve) => setTimeout(resolve, 20)),
        handle: async (items, ctx) => {
          sizes.push(items.length);
          for (const it of items) await recordEffect(ctx.manager, 'batch-fill', it.event as StatusChanged);
        },
      },
    });
    const events = Array.from({ length: 100 }, (_, i) => statusChanged(`item-f${i}`, 1));
    await Promise.all(events.map((e) => publish(env.js, ns, e)));
    await runner.start();
    await until(async () => (await env.effects('batch-fill')).length === 100, { message: '100 effects' });
    // At concurrency 2 a batch could hold at most two events, each waiting out its prepare first.
    expect(Math.max(...sizes)).toBeGreaterThan(2);
    await until(async () => (await runner.lag()).ackPending === 0);
  });

  it('runs after-commit callbacks once the batch is visible to others, and the otherwise callback instead for a batch not committed', async () => {
    const ns = await env.bus();
    const good = statusChanged('item-ac-good', 1);
    const bad = statusChanged('item-ac-bad', 1);
    const checks: Promise<{ id: string; visible: boolean }>[] = [];
    // Per registration, which of its two callbacks ran: exactly one must, once.
    const ran: { id: string; runs: string[] }[] = [];
    const runner = env.runner(ns, {
      durable: 'batch-after-commit',
      maxDeliver: 1,
      handlers: noHandlers,
      batch: {
        types: ['item.status.changed'],
        handle: async (items, ctx) => {
          for (const it of items) {
            await recordEffect(ctx.manager, 'batch-after-commit', it.event as StatusChanged);
            const id = it.event.id;
            const registration = { id, runs: [] as string[] };
            ran.push(registration);
            ctx.afterCommit(
              () => {
                registration.runs.push('committed');
                checks.push(env.ds.query(`SELECT count(*)::int AS n FROM test_effects WHERE event_id = $1`, [id]).then((r: { n: number }[]) => ({ id, visible: r[0].n === 1 })));
              },
              () => registration.runs.push('otherwise'),
            );
            if (id === bad.id) throw new Error('bad');
          }
        },
      },
    });
    await publish(env.js, ns, good);
    await publish(env.js, ns, bad);
    await runner.start();
    await until(async () => (await new DeadLetterRepository(env.ds).list({ consumer: 'batch-after-commit' }))[0]);
    await until(() => checks.length >= 1);
    expect(await Promise.all(checks)).toEqual([{ id: good.id, visible: true }]);
    // The bad event's batch threw (alone, or with the good one and then alone): never committed.
    const bads = ran.filter((r) => r.id === bad.id);
    const goods = ran.filter((r) => r.id === good.id);
    expect(bads.length).toBeGreaterThan(0);
    expect(bads.map((r) => r.runs)).toEqual(bads.map(() => ['otherwise']));
    // The good one committed last; before that it may have shared the bad one's rolled-back batch.
    expect(goods.map((r) => r.runs)).toEqual([...goods.slice(0, -1).map(() => ['otherwise']), ['committed']]);
  });

  it('keeps per-aggregate order: events of one item are never in one batch and run in stream order', async () => {
    const ns = await env.bus();
    const batches: BatchItem[][] = [];
    const runner = env.runner(ns, {
      durable: 'batch-order',
      concurrency: 8,
      handlers: noHandlers,
      batch: {
        types: ['item.status.changed'],
        handle: async (items, ctx) => {
          batches.push(items);
          for (const it of items) await recordEffect(ctx.manager, 'batch-order', it.event as StatusChanged);
        },
      },
    });
    for (let v = 1; v <= 20; v++) for (const item of ['item-o1', 'item-o2', 'item-o3']) await publish(env.js, ns, statusChanged(item, v));
    await runner.start();
    await until(async () => (await env.effects('batch-order')).length === 60, { message: '60 effects' });
    for (const b of batches) {
      const items = b.map((x) => x.subject);
      expect(new Set(items).size).toBe(items.length);
    }
    const effects = await env.effects('batch-order');
    for (const item of ['item-o1', 'item-o2', 'item-o3']) {
      expect(effects.filter((e) => e.itemId === item).map((e) => e.version)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    }
  });

  it('takes back the claims of events it does not ack: a retry is handled again, a dead letter recorded', async () => {
    const ns = await env.bus();
    const retryMe = statusChanged('item-retry', 1);
    const deadMe = statusChanged('item-dead', 1);
    const plain = statusChanged('item-plain', 1);
    const seen: string[] = [];
    const runner = env.runner(ns, {
      durable: 'batch-outcomes',
      handlers: noHandlers,
      batch: {
        types: ['item.status.changed'],
        handle: async (items, ctx) => {
          const out: HandlerOutcome[] = [];
          for (const it of items) {
            seen.push(`${it.event.id}:${it.deliveryCount}`);
            if (it.event.id === deadMe.id) out.push(Outcome.deadLetter('not for us'));
            else if (it.event.id === retryMe.id && it.deliveryCount === 1) out.push(Outcome.retry({ delayMs: 50, reason: 'later' }));
            else {
              await recordEffect(ctx.manager, 'batch-outcomes', it.event as StatusChanged);
              out.push(Outcome.ack());
            }
          }
          return out;
        },
      },
    });
    await Promise.all([retryMe, deadMe, plain].map((e) => publish(env.js, ns, e)));
    await runner.start();
    await until(async () => (await env.effects('batch-outcomes')).length === 2, { message: 'plain and the retried event' });
    const dead = await until(async () => (await new DeadLetterRepository(env.ds).list({ consumer: 'batch-outcomes' }))[0]);
    expect(dead).toMatchObject({ eventId: deadMe.id, reason: 'not for us' });
    expect(seen).toContain(`${retryMe.id}:2`);
    expect((await env.effects('batch-outcomes')).map((e) => e.eventId).sort()).toEqual([plain.id, retryMe.id].sort());
  });

  it('one event that makes its batch throw fails alone: the others are handled, it is dead-lettered after its deliveries', async () => {
    const ns = await env.bus();
    const poison = statusChanged('item-poison', 1);
    const others = Array.from({ length: 30 }, (_, i) => statusChanged(`item-ok${i}`, 1));
    const hold = gate();
    let first = true;
    const runner = env.runner(ns, {
      durable: 'batch-poison',
      concurrency: 8,
      maxDeliver: 3,
      handlers: noHandlers,
      batch: {
        types: ['item.status.changed'],
        handle: async (items, ctx) => {
          // Hold the first batch so the rest queue up and travel together with the poison.
          if (first) {
            first = false;
            await hold.wait;
          }
          for (const it of items) {
            await recordEffect(ctx.manager, 'batch-poison', it.event as StatusChanged);
            if (it.event.id === poison.id) throw new Error('poison');
          }
        },
      },
    });
    await publish(env.js, ns, others[0]);
    await runner.start();
    await until(() => !first, { message: 'first batch running' });
    await Promise.all([poison, ...others.slice(1)].map((e) => publish(env.js, ns, e)));
    // Every event has left the stream for the runner (pulled, not yet acked) before the hold opens.
    await until(async () => (await env.jsm.consumers.info(ns.streamName('ITEMS'), ns.durable('batch-poison'))).num_pending === 0, {
      message: 'the rest pulled while the first batch is held',
    });
    hold.open();
    await until(async () => (await env.effects('batch-poison')).length === 30, { message: 'the 30 good events' });
    const dead = await until(async () => (await new DeadLetterRepository(env.ds).list({ consumer: 'batch-poison' }))[0], { timeoutMs: 15_000 });
    expect(dead).toMatchObject({ eventId: poison.id });
    expect(dead.reason).toContain('poison');
    expect((await env.effects('batch-poison')).map((e) => e.eventId)).not.toContain(poison.id);
  });
});
