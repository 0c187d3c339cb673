import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { until, uniqueName } from '@stagehook/testing';
import { DeadLetterRedrive, DeadLetterRepository, NothingToDo, prepared } from '../src/index.js';
import { publish, recordEffect, statusChanged, TestEnv } from './support.js';

/**
 * Redrive on a real runner, PostgreSQL and JetStream: a handler fails until its dependency is
 * fixed, the message is dead-lettered, the operator replays it.
 */
describe('dead-letter redrive', () => {
  let env: TestEnv;

  beforeAll(async () => {
    env = await TestEnv.create('redrive');
  });

  afterAll(async () => {
    await env.close();
  });

  it('replays a dead letter through its consumer after the fix: the effect happens once, a second replay changes nothing', async () => {
    const ns = await env.bus();
    const durable = uniqueName('redrive');
    let broken = true;
    const runner = env.runner(ns, {
      durable,
      maxDeliver: 2,
      handlers: {
        'item.status.changed': async (e, ctx) => {
          if (broken) throw new Error('the dependency is misconfigured');
          await recordEffect(ctx.manager, durable, e);
        },
      },
    });
    await runner.start();
    const failing = statusChanged('it-1', 1);
    await publish(env.js, ns, failing);
    const repo = new DeadLetterRepository(env.ds);
    const [dl] = await until(() => repo.list({ consumer: durable }).then((l) => (l.length === 1 ? l : null)), { message: 'dead-lettered' });
    expect(dl.reason).toMatch(/failed after 2 deliveries: the dependency is misconfigured/);
    expect(await env.effects(durable)).toEqual([]);

    const redrive = new DeadLetterRedrive(env.ds, [runner], env.nc);
    // Still broken: it is dead-lettered again, in the same record, with the reason.
    expect(await redrive.replay(dl.id)).toMatchObject({ outcome: 'dead-lettered-again', reason: expect.stringMatching(/misconfigured/) as unknown });
    expect(await repo.count(durable)).toBe(1);

    broken = false;
    expect(await redrive.replay(dl.id)).toEqual({ id: dl.id, consumer: durable, eventId: failing.id, outcome: 'handled', reason: dl.reason });
    expect((await env.effects(durable)).map((e) => e.eventId)).toEqual([failing.id]);
    // Twice: the idempotency record holds, nothing runs again.
    expect(await redrive.replay(dl.id)).toMatchObject({ outcome: 'already-handled' });
    expect(await env.effects(durable)).toHaveLength(1);
    expect(await repo.get(dl.id)).toMatchObject({ replayCount: 3, replayOutcome: 'already-handled' });
    expect(await redrive.replay('999999999')).toBeUndefined();
  });

  it('reports a replay whose prepare finds nothing to do as skipped, not handled', async () => {
    const ns = await env.bus();
    const durable = uniqueName('redrive-nothing');
    let wanted = true;
    const runner = env.runner(ns, {
      durable,
      maxDeliver: 1,
      handlers: {
        'item.status.changed': prepared({
          // Delivery's intake: by the time of the replay no endpoint subscribes any more.
          prepare: async () => (wanted ? 'subscribed' : NothingToDo),
          handle: async () => {
            throw new Error('the receiver table is missing');
          },
        }),
      },
    });
    await runner.start();
    await publish(env.js, ns, statusChanged('it-gone', 1));
    const repo = new DeadLetterRepository(env.ds);
    const [dl] = await until(() => repo.list({ consumer: durable }).then((l) => (l.length === 1 ? l : null)), { message: 'dead-lettered' });
    wanted = false;
    const redrive = new DeadLetterRedrive(env.ds, [runner], env.nc);
    expect(await redrive.replay(dl.id)).toMatchObject({ outcome: 'skipped' });
    expect(await env.effects(durable)).toEqual([]);
  });

  it('replays all unresolved dead letters of a consumer matching a reason, and leaves the others', async () => {
    const ns = await env.bus();
    const durable = uniqueName('redrive-all');
    const failFor = new Set(['it-a', 'it-b', 'it-c']);
    const runner = env.runner(ns, {
      durable,
      maxDeliver: 1,
      handlers: {
        'item.status.changed': async (e, ctx) => {
          if (failFor.has(e.data.itemId)) throw new Error(e.data.itemId === 'it-c' ? 'quota exceeded' : 'schema mismatch');
          await recordEffect(ctx.manager, durable, e);
        },
      },
    });
    await runner.start();
    for (const id of ['it-a', 'it-b', 'it-c']) await publish(env.js, ns, statusChanged(id, 1));
    // A malformed message: replaying it dead-letters it again.
    await publish(env.js, ns, 'not json at all', { type: 'item.status.changed' });
    const repo = new DeadLetterRepository(env.ds);
    await until(async () => (await repo.count(durable)) === 4, { message: 'four dead letters' });
    expect((await repo.list({ consumer: durable, reason: 'SCHEMA mismatch' })).length).toBe(2);

    failFor.clear();
    const redrive = new DeadLetterRedrive(env.ds, [runner], env.nc);
    const results = await redrive.replayAll({ consumer: durable, reason: 'schema mismatch' });
    expect(results.map((r) => r.outcome)).toEqual(['handled', 'handled']);
    expect((await env.effects(durable)).map((e) => e.itemId).sort()).toEqual(['it-a', 'it-b']);
    // Resolved ones are not replayed again; the rest now.
    const rest = await redrive.replayAll({ consumer: durable });
    expect(rest.map((r) => r.outcome).sort()).toEqual(['dead-lettered-again', 'handled']);
    expect((await env.effects(durable)).map((e) => e.itemId).sort()).toEqual(['it-a', 'it-b', 'it-c']);
    expect(await repo.list({ consumer: durable, unresolved: true })).toHaveLength(1);
    expect(await repo.count(durable)).toBe(4);
  });
});
