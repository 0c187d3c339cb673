import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BusNamespace } from '@stagehook/contracts';
import { uniqueName, until } from '@stagehook/testing';
import { DeadLetterRepository, ensureStreams, Outcome } from '../src/index.js';
import { TestEnv } from './support.js';

let env: TestEnv;

beforeAll(async () => {
  env = await TestEnv.create('msg_foreign');
});

afterAll(async () => {
  await env?.close();
});

const cloudEvent = (type: string, data: Record<string, unknown>, id = randomUUID()) => ({
  specversion: '1.0',
  id,
  source: 'trainer',
  type,
  time: new Date().toISOString(),
  datacontenttype: 'application/json',
  dataschemaversion: 1,
  projectid: 'proj-1',
  data,
});

describe('ConsumerRunner: foreign (non-catalog) types', () => {
  it('hands every well-formed event to the one handler once, and dead-letters a mismatched subject, bad JSON and what the handler refuses', async () => {
    const ns = new BusNamespace(uniqueName('msg'));
    const infos = await ensureStreams(env.jsm, ns, ['PUBLISHED', 'DEADLETTER'], { maxAgeMs: 3_600_000, maxBytes: 64 * 1024 * 1024 });
    env.track(...infos.map((i) => i.config.name));
    const seen: string[] = [];
    const runner = env.runner(ns, {
      durable: 'foreign',
      stream: 'PUBLISHED',
      handlers: {},
      foreign: {
        typeOfSubject: (s) => (s.startsWith('published.') ? s.slice('published.'.length) : undefined),
        handler: async (e, ctx) => {
          if ((e.data as { refuse?: boolean }).refuse) return Outcome.deadLetter('refused by the handler');
          seen.push(`${e.type}:${e.id}`);
          await ctx.manager.query('SELECT 1');
          return Outcome.ack();
        },
      },
    });
    await runner.start();
    const good = cloudEvent('model.training.completed', { runId: 'r1' });
    const subject = (t: string) => ns.subject(`published.${t}`);
    await env.js.publish(subject(good.type), JSON.stringify(good));
    await env.js.publish(subject(good.type), JSON.stringify(good)); // a republish: handled once
    const mismatched = cloudEvent('model.other', {});
    await env.js.publish(subject('model.training.completed'), JSON.stringify(mismatched));
    const refused = cloudEvent('model.training.completed', { refuse: true });
    await env.js.publish(subject(refused.type), JSON.stringify(refused));
    await env.js.publish(subject('model.training.completed'), '{not json');

    const repo = new DeadLetterRepository(env.ds);
    const letters = await until(async () => {
      const l = await repo.list({ consumer: 'foreign', limit: 10 });
      return l.length >= 3 ? l : null;
    });
    const reasons = letters.map((l) => l.reason).join(' | ');
    expect(reasons).toContain('does not match the subject');
    expect(reasons).toContain('refused by the handler');
    expect(reasons).toContain('not valid JSON');
    await until(async () => (await runner.lag()).ackPending === 0 && (await runner.lag()).pending === 0);
    expect(seen).toEqual([`model.training.completed:${good.id}`]);
    await runner.stop();
  });
});
