import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NatsConnection } from '@nats-io/nats-core';
import { until } from '@stagehook/testing';
import type { DataSource } from 'typeorm';
import { ConsumerHost, consumersProvider } from '../src/index.js';
import { gate, publish, recordEffect, statusChanged, TestEnv } from './support.js';

let env: TestEnv;

beforeAll(async () => {
  env = await TestEnv.create('msg_nest');
});

afterAll(async () => {
  await env?.close();
});

describe('ConsumerHost in a Nest application', () => {
  it('starts the declared consumers on bootstrap and drains them on close', async () => {
    const ns = await env.bus();
    const inHandler = gate();
    const release = gate();
    let calls = 0;

    @Module({
      providers: [
        { provide: 'DATA_SOURCE', useValue: env.ds },
        { provide: 'NATS', useValue: env.nc },
        consumersProvider({
          inject: ['DATA_SOURCE', 'NATS'],
          useFactory: (dataSource: DataSource, nats: NatsConnection) => [
            {
              dataSource,
              nats,
              namespace: ns,
              stream: 'ITEMS',
              durable: 'nest-status',
              handlers: {
                'item.status.changed': async (e, ctx) => {
                  calls++;
                  await recordEffect(ctx.manager, 'nest-status', e);
                  if (calls === 2) {
                    inHandler.open();
                    await release.wait;
                  }
                },
              },
            },
          ],
        }),
      ],
    })
    class ItemsConsumersModule {}

    const app = await NestFactory.createApplicationContext(ItemsConsumersModule, { logger: false });
    const host = app.get(ConsumerHost);
    expect(host.runners.map((r) => r.state)).toEqual(['running']);

    await publish(env.js, ns, statusChanged('item-n', 1));
    await until(async () => (await env.effects('nest-status')).length === 1);

    // close() while a handler is in flight: the drain waits for it to commit.
    await publish(env.js, ns, statusChanged('item-n', 2));
    await inHandler.wait;
    let closed = false;
    const closing = app.close().then(() => (closed = true));
    await until(() => host.runners[0].state === 'stopping');
    expect(closed).toBe(false);
    release.open();
    await closing;
    expect(host.runners[0].state).toBe('stopped');
    expect((await env.effects('nest-status')).map((f) => f.version)).toEqual([1, 2]);
  });
});
