import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { until } from '@stagehook/testing';
import { publish, recordEffect, statusChanged, TestEnv } from './support.js';

let env: TestEnv;

beforeAll(async () => {
  env = await TestEnv.create('msg_order');
});

afterAll(async () => {
  await env?.close();
});

describe('ConsumerRunner: per-key ordering', () => {
  it('handles each key in order while different keys run concurrently', async () => {
    const ns = await env.bus();
    const keys = ['item-a', 'item-b', 'item-c'];
    const perKey = 100;
    const concurrency = 4;
    const inFlightByKey = new Map<string, number>();
    let inFlight = 0;
    let maxInFlight = 0;
    let sameKeyOverlap = 0;
    const runner = env.runner(ns, {
      durable: 'ordered',
      concurrency,
      maxInFlight: 24,
      handlers: {
        'item.status.changed': async (e, ctx) => {
          const k = e.data.itemId;
          if ((inFlightByKey.get(k) ?? 0) > 0) sameKeyOverlap++;
          inFlightByKey.set(k, (inFlightByKey.get(k) ?? 0) + 1);
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          try {
            // Uneven work, so a scheduler that let one key's events overlap would reorder them.
            await ctx.manager.query('SELECT pg_sleep($1)', [Math.random() * 0.004]);
            await recordEffect(ctx.manager, 'ordered', e);
          } finally {
            inFlight--;
            inFlightByKey.set(k, inFlightByKey.get(k)! - 1);
          }
        },
      },
    });
    // Publish first, so the runner meets a backlog, as after a restart.
    for (let v = 1; v <= perKey; v++) for (const k of keys) await publish(env.js, ns, statusChanged(k, v));
    const started = Date.now();
    await runner.start();
    await until(async () => (await env.effects('ordered')).length === keys.length * perKey, { timeoutMs: 20_000 });
    const elapsed = Date.now() - started;

    const effects = await env.effects('ordered');
    for (const k of keys) {
      expect(effects.filter((f) => f.itemId === k).map((f) => f.version)).toEqual(Array.from({ length: perKey }, (_, i) => i + 1));
    }
    expect(sameKeyOverlap).toBe(0);
    // Three keys, so at most three handlers at once, and more than one did run at once.
    expect(maxInFlight).toBeGreaterThan(1);
    expect(maxInFlight).toBeLessThanOrEqual(Math.min(concurrency, keys.length));
    // Keys interleave in commit order instead of running one key's backlog after another.
    let switches = 0;
    for (let i = 1; i < effects.length; i++) if (effects[i].itemId !== effects[i - 1].itemId) switches++;
    expect(switches).toBeGreaterThan(50);
    console.log(`ordering: ${effects.length} events over ${keys.length} keys in ${elapsed} ms (max ${maxInFlight} handlers at once)`);
    await runner.stop();
  });

  it('events without a CloudEvents subject fall back to their own id as the key and run concurrently', async () => {
    const ns = await env.bus();
    let inFlight = 0;
    let maxInFlight = 0;
    // A barrier, not a sleep: each handler holds until four are in flight at once, which only a
    // runner that does not serialise these events can reach. On a loaded machine a fixed sleep let
    // the first handler finish before the fourth began. The 5 s bound lets a serialising runner
    // finish (and fail the assertion) instead of hanging.
    let allIn!: () => void;
    const fourAtOnce = new Promise<void>((resolve) => (allIn = resolve));
    const runner = env.runner(ns, {
      durable: 'keyless',
      concurrency: 4,
      handlers: {
        'item.status.changed': async (e, ctx) => {
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          if (inFlight === 4) allIn();
          try {
            await Promise.race([fourAtOnce, new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
            await recordEffect(ctx.manager, 'keyless', e);
          } finally {
            inFlight--;
          }
        },
      },
    });
    for (let v = 1; v <= 8; v++) {
      const { subject: _subject, ...e } = statusChanged('item-same', v);
      await publish(env.js, ns, e);
    }
    await runner.start();
    await until(async () => (await env.effects('keyless')).length === 8, { timeoutMs: 30_000 });
    // Same item id in the data, but no subject: nothing ties them together.
    expect(maxInFlight).toBe(4);
    await runner.stop();
  });

  it('measures throughput with one insert per event', async () => {
    const ns = await env.bus();
    const total = 2_000;
    const runner = env.runner(ns, {
      durable: 'throughput',
      concurrency: 8,
      handlers: { 'item.status.changed': (e, ctx) => recordEffect(ctx.manager, 'throughput', e) },
    });
    const pubs: Promise<unknown>[] = [];
    for (let i = 0; i < total; i++) pubs.push(publish(env.js, ns, statusChanged(`item-${i % 200}`, Math.floor(i / 200) + 1)));
    await Promise.all(pubs);
    const started = Date.now();
    await runner.start();
    await until(async () => (await env.ds.query(`SELECT count(*)::int AS n FROM test_effects WHERE consumer = 'throughput'`))[0].n === total, {
      timeoutMs: 30_000,
      intervalMs: 50,
    });
    const elapsed = Date.now() - started;
    console.log(`throughput: ${total} events in ${elapsed} ms = ${Math.round((total * 1000) / elapsed)} events/s (concurrency 8, 200 keys)`);
    await until(async () => (await runner.lag()).ackPending === 0);
    await runner.stop();
  });
});
