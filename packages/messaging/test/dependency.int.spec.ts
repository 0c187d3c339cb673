import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { until } from '@stagehook/testing';
import { Registry } from 'prom-client';
import { DeadLetterRepository, DependencyUnavailableError, NothingToDo, prepared, RpcUnavailableError } from '../src/index.js';
import { metric, publish, recordEffect, statusChanged, TestEnv } from './support.js';

let env: TestEnv;

beforeAll(async () => {
  env = await TestEnv.create('msg_dependency');
});

afterAll(async () => {
  await env?.close();
});

/** Open transactions on the test database other than our own probe's. */
async function openTransactions(): Promise<number> {
  const rows: { n: string }[] = await env.ds.query(
    `SELECT count(*)::text AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start IS NOT NULL AND state <> 'active'`,
  );
  return Number(rows[0].n);
}

/**
 * A handler that needs another service (workflow asking items for a version, delivery asking for
 * a Darwin export) must wait out that service's outage: before, each try was a counted delivery,
 * and an outage longer than maxDeliver × backoff dead-lettered good work (the item then waited in
 * its webhook stage forever). And the request must not run inside the consumer's transaction,
 * which would hold back the relay horizon of the whole database while it waits.
 */
describe('ConsumerRunner with a dependency that is down', () => {
  it('waits in place, outside any transaction, without spending deliveries, then handles once', async () => {
    const ns = await env.bus();
    const registry = new Registry();
    let calls = 0;
    const inTxDuringPrepare: number[] = [];
    const seen: { deliveryCount: number; prepared: unknown }[] = [];
    const runner = env.runner(ns, {
      durable: 'needs-items',
      metrics: registry,
      maxDeliver: 2,
      handlers: {
        'item.status.changed': prepared({
          prepare: async (e) => {
            calls++;
            inTxDuringPrepare.push(await openTransactions());
            if (calls <= 6) throw new RpcUnavailableError('rpc.items.head', new Error('503 no responders'));
            return { headVersion: e.data.itemVersion + 10 };
          },
          handle: async (e, ctx) => {
            seen.push({ deliveryCount: ctx.deliveryCount, prepared: ctx.prepared });
            await recordEffect(ctx.manager, 'needs-items', e);
          },
        }),
      },
    });
    await runner.start();
    const event = statusChanged('item-dep', 1);
    await publish(env.js, ns, event);
    await until(async () => (await env.effects('needs-items')).length === 1, { timeoutMs: 30_000, message: 'handled after the outage' });
    expect(calls).toBe(7);
    expect(seen).toEqual([{ deliveryCount: 1, prepared: { headVersion: event.data.itemVersion + 10 } }]);
    expect(inTxDuringPrepare.every((n) => n === 0)).toBe(true);
    expect(await new DeadLetterRepository(env.ds).count('needs-items')).toBe(0);
    expect(await metric(registry, 'stagehook_messages_retried_total', { consumer: 'needs-items' })).toBe(0);
    await runner.stop();
  });

  it('acks an event whose prepare found nothing to do, without a transaction or an idempotency record', async () => {
    const ns = await env.bus();
    const registry = new Registry();
    const handled: string[] = [];
    const runner = env.runner(ns, {
      durable: 'nothing-to-do',
      metrics: registry,
      handlers: {
        'item.status.changed': prepared({
          // As delivery's intake does: no endpoint subscribes to this item's events.
          prepare: async (e) => (e.data.itemId === 'item-nobody' ? NothingToDo : 'subscribed'),
          handle: async (e, ctx) => {
            handled.push(e.data.itemId);
            await recordEffect(ctx.manager, 'nothing-to-do', e);
          },
        }),
      },
    });
    await runner.start();
    const nobody = statusChanged('item-nobody', 1);
    const somebody = statusChanged('item-somebody', 1);
    await publish(env.js, ns, nobody);
    await publish(env.js, ns, somebody);
    await until(async () => (await env.effects('nothing-to-do')).length === 1);
    await until(async () => (await runner.lag()).ackPending === 0 && (await runner.lag()).pending === 0, { message: 'both acked' });
    expect(handled).toEqual(['item-somebody']);
    expect(await metric(registry, 'stagehook_messages_skipped_total', { consumer: 'nothing-to-do', type: 'item.status.changed' })).toBe(1);
    const claims: { event_id: string }[] = await env.ds.query(`SELECT event_id FROM msg_handled WHERE event_id = ANY($1::uuid[])`, [[nobody.id, somebody.id]]);
    expect(claims.map((c) => c.event_id)).toEqual([somebody.id]);
    await runner.stop();
  });

  it('treats a DependencyUnavailableError thrown inside the handler the same way', async () => {
    const ns = await env.bus();
    let tries = 0;
    const runner = env.runner(ns, {
      durable: 'throws-dependency',
      maxDeliver: 2,
      handlers: {
        'item.status.changed': async (e, ctx) => {
          if (++tries <= 4) throw new DependencyUnavailableError('the model registry', 'connection refused');
          await recordEffect(ctx.manager, 'throws-dependency', e);
        },
      },
    });
    await runner.start();
    await publish(env.js, ns, statusChanged('item-dep2', 1));
    await until(async () => (await env.effects('throws-dependency')).length === 1, { timeoutMs: 30_000 });
    expect(await new DeadLetterRepository(env.ds).count('throws-dependency')).toBe(0);
    await runner.stop();
  });
});
