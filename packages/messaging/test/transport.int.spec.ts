import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { BusNamespace } from '@stagehook/contracts';
import { until } from '@stagehook/testing';
import {
  ConsumerRegistry,
  DeadLetterRepository,
  JetStreamTransport,
  OnEvent,
  OnEventBatch,
  Outcome,
  PrepareEvent,
  defineConsumer,
  type BatchContext,
  type BatchItem,
  type HandlerContext,
} from '../src/index.js';
import { gate, memoryLogger, publish, recordEffect, statusChanged, TestEnv, type StatusChanged } from './support.js';

let env: TestEnv;

beforeAll(async () => {
  env = await TestEnv.create('msg_transport');
});

afterAll(async () => {
  await env?.close();
});

const Statuses = defineConsumer({
  stream: 'ITEMS',
  durable: 'transport-status',
  filterSubject: 'item.status.changed',
  maxDeliver: 3,
  retryBackoff: () => 20,
  pullExpiresMs: 1_000,
});
const Batched = defineConsumer({ stream: 'ITEMS', durable: 'transport-batch', filterSubject: 'item.status.changed', pullExpiresMs: 1_000, maxBatch: 50 });

/** What the handlers saw, shared with the test. */
const seen = { prepared: [] as string[], batches: [] as number[], release: gate(), inHandler: gate(), holdItem: 'none' };

@Controller()
class StatusHandlers {
  @PrepareEvent(Statuses, 'item.status.changed')
  async lookUp(event: StatusChanged): Promise<string> {
    return `looked up ${event.data.itemId}`;
  }

  @OnEvent(Statuses, 'item.status.changed')
  async statusChanged(event: StatusChanged, ctx: HandlerContext): Promise<ReturnType<typeof Outcome.ack> | void> {
    seen.prepared.push(String(ctx.prepared));
    if (event.data.reason === 'refuse') return Outcome.deadLetter(`refused ${event.data.itemId}`);
    await recordEffect(ctx.manager, 'transport-status', event);
    if (event.data.reason === 'explode') throw new Error(`handler exploded on ${event.data.itemId}`);
    if (event.data.itemId === seen.holdItem) {
      seen.inHandler.open();
      await seen.release.wait;
    }
  }
}

@Controller()
class BatchHandlers {
  @OnEventBatch(Batched, ['item.status.changed'])
  async statuses(items: BatchItem[], ctx: BatchContext): Promise<void> {
    seen.batches.push(items.length);
    for (const { event } of items) await recordEffect(ctx.manager, 'transport-batch', event as StatusChanged);
  }
}

@Module({ controllers: [StatusHandlers, BatchHandlers], providers: [ConsumerRegistry] })
class HandlersModule {}

const log = memoryLogger();

async function boot(ns: BusNamespace): Promise<{ app: INestMicroservice; registry: ConsumerRegistry }> {
  const registry = new ConsumerRegistry();
  const app = await NestFactory.createMicroservice(HandlersModule, {
    strategy: new JetStreamTransport({
      dataSource: env.ds,
      nats: env.nc,
      namespace: ns,
      registry,
      logger: log,
      settings: { defaults: { ackWaitMs: 5_000, drainTimeoutMs: 10_000 } },
    }),
    logger: false,
  });
  await app.listen();
  return { app, registry };
}

describe('JetStreamTransport: @EventPattern handlers on durable consumers', () => {
  it('runs decorated methods as consumers with the runner’s guarantees, and drains them on close', async () => {
    const ns = await env.bus();
    const { app, registry } = await boot(ns);
    expect(registry.runners.map((r) => [r.consumer, r.state]).sort()).toEqual([
      ['transport-batch', 'running'],
      ['transport-status', 'running'],
    ]);

    // Handled once each, with what the prepare step returned, in the handler's transaction.
    const ok = [statusChanged('item-a', 1), statusChanged('item-b', 1)];
    for (const e of ok) await publish(env.js, ns, e);
    await publish(env.js, ns, ok[0], { msgID: 'republished-copy' });
    await until(async () => (await env.effects('transport-batch')).length >= 2);
    await until(async () => (await env.effects('transport-status')).length >= 2);
    expect(seen.prepared).toEqual(expect.arrayContaining(['looked up item-a', 'looked up item-b']));

    // An outcome and a thrown error reach the runner as they are: the dead letter names the
    // handler's own reason, not Nest's "Internal server error".
    await publish(env.js, ns, statusChanged('item-r', 1, { reason: 'refuse' }));
    await publish(env.js, ns, statusChanged('item-x', 1, { reason: 'explode' }));
    const repo = new DeadLetterRepository(env.ds);
    const rows = await until(async () => {
      const r = await repo.list({ consumer: 'transport-status' });
      return r.length === 2 ? r : undefined;
    });
    expect(rows.map((r) => r.reason).sort()).toEqual(['failed after 3 deliveries: handler exploded on item-x', 'refused item-r']);
    // The exploding handler's writes were rolled back each time.
    expect((await env.effects('transport-status')).map((f) => f.itemId).sort()).toEqual(['item-a', 'item-b']);
    expect((await env.effects('transport-batch')).map((f) => f.itemId).sort()).toEqual(['item-a', 'item-b', 'item-r', 'item-x']);

    // close() while a handler is in flight: the drain waits for its commit.
    seen.holdItem = 'item-h';
    await publish(env.js, ns, statusChanged('item-h', 1));
    await seen.inHandler.wait;
    let closed = false;
    const closing = app.close().then(() => (closed = true));
    await until(() => registry.runners.find((r) => r.consumer === 'transport-status')?.state === 'stopping');
    expect(closed).toBe(false);
    seen.release.open();
    await closing;
    expect(registry.runners.map((r) => r.state)).toEqual(['stopped', 'stopped']);
    expect((await env.effects('transport-status')).map((f) => f.itemId)).toContain('item-h');
  });
});
