import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { until } from '@stagehook/testing';
import { Registry } from 'prom-client';
import { gate, metric, publish, recordEffect, statusChanged, TestEnv, type StatusChanged } from './support.js';

let env: TestEnv;

beforeAll(async () => {
  env = await TestEnv.create('msg_scale');
});

afterAll(async () => {
  await env?.close();
});

function expectEachOnce(effects: { eventId: string }[], events: StatusChanged[]): void {
  const counts = new Map<string, number>();
  for (const f of effects) counts.set(f.eventId, (counts.get(f.eventId) ?? 0) + 1);
  expect(counts.size).toBe(events.length);
  for (const e of events) expect(counts.get(e.id)).toBe(1);
}

describe('ConsumerRunner: shutdown and scale-out', () => {
  it('stop() lets in-flight handlers commit and hands unstarted messages to another runner at once', async () => {
    const ns = await env.bus();
    const release = gate();
    let aStarted = 0;
    // A long ack wait: if A did not nak what it had not started, B could only get those messages
    // after 30 s, far beyond the wait below.
    const a = env.runner(ns, {
      durable: 'drain',
      concurrency: 2,
      maxInFlight: 8,
      ackWaitMs: 30_000,
      handlers: {
        'item.status.changed': async (e, ctx) => {
          aStarted++;
          await recordEffect(ctx.manager, 'drain', e, 'A');
          await release.wait;
        },
      },
    });
    const events: StatusChanged[] = [];
    for (let v = 1; v <= 10; v++) for (const k of ['item-x', 'item-y']) events.push(statusChanged(k, v));
    for (const e of events) await publish(env.js, ns, e);
    await a.start();
    await until(() => a.inFlight().running === 2 && a.inFlight().queued === 6, { message: 'A holds a full window' });

    let stopped = false;
    const stopping = a.stop().then(() => (stopped = true));
    const b = env.runner(ns, {
      durable: 'drain',
      ackWaitMs: 30_000,
      handlers: { 'item.status.changed': (e, ctx) => recordEffect(ctx.manager, 'drain', e, 'B') },
    });
    await b.start();
    await until(async () => (await env.effects('drain')).filter((f) => f.runner === 'B').length === 18, {
      message: 'B handled everything A had not started',
    });
    expect(stopped).toBe(false);
    expect(a.state).toBe('stopping');

    release.open();
    await stopping;
    expect(a.state).toBe('stopped');
    expect(aStarted).toBe(2);
    const effects = await env.effects('drain');
    expect(effects.filter((f) => f.runner === 'A')).toHaveLength(2);
    expectEachOnce(effects, events);
    await until(async () => {
      const lag = await b.lag();
      return lag.pending === 0 && lag.ackPending === 0;
    });
    await b.stop();
  });

  it('stop() on an idle runner resolves promptly and leaves nothing running', async () => {
    const ns = await env.bus();
    const r = env.runner(ns, { durable: 'idle', pullExpiresMs: 30_000, handlers: {} });
    await r.start();
    const t0 = Date.now();
    await r.stop();
    // the open 30 s pull request is closed, not waited out
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(r.state).toBe('stopped');
    await r.stop();
  });

  it('two runners sharing one durable split the work, and each event takes effect once', async () => {
    const ns = await env.bus();
    const registry = new Registry();
    const runner = (name: string) =>
      env.runner(ns, {
        durable: 'shared',
        concurrency: 4,
        maxInFlight: 8,
        metrics: registry,
        handlers: {
          'item.status.changed': async (e, ctx) => {
            await ctx.manager.query('SELECT pg_sleep(0.002)');
            await recordEffect(ctx.manager, 'shared', e, name);
          },
        },
      });
    const a = runner('A');
    const b = runner('B');
    await Promise.all([a.start(), b.start()]);
    const events: StatusChanged[] = [];
    for (let i = 0; i < 300; i++) events.push(statusChanged(`item-${i % 60}`, Math.floor(i / 60) + 1));
    await Promise.all(events.map((e) => publish(env.js, ns, e)));
    await until(async () => (await env.effects('shared')).length >= events.length, { timeoutMs: 20_000 });
    await until(async () => (await a.lag()).ackPending === 0);

    const effects = await env.effects('shared');
    expectEachOnce(effects, events);
    const byA = effects.filter((f) => f.runner === 'A').length;
    const byB = effects.filter((f) => f.runner === 'B').length;
    expect(byA).toBeGreaterThan(0);
    expect(byB).toBeGreaterThan(0);
    expect(await metric(registry, 'stagehook_messages_handled_total', { consumer: 'shared' })).toBe(events.length);
    console.log(`shared durable: A handled ${byA}, B handled ${byB}`);
    await Promise.all([a.stop(), b.stop()]);
  });
});
