import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Module } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { TypeOrmModule } from '@nestjs/typeorm';
import { jetstream, type JetStreamManager } from '@nats-io/jetstream';
import { BusNamespace, newEvent } from '@stagehook/contracts';
import { EventStore, eventStoreMigrations } from '@stagehook/event-store';
import { defineConsumer, messagingMigrations, OnEvent, Outcome } from '@stagehook/messaging';
import { LogCapture, connectTestNats, createTestDatabase, deleteNamespace, testEnv, type TestDatabase, uniqueName, until } from '@stagehook/testing';
import { BaseConfig, bootstrapService, createLogger, EventSourcingModule, listeningUrl, loadConfig, RelayHost, typeOrmOptions } from '../src/index.js';
import type { NatsConnection } from '../src/index.js';

/** A consumer of a stream this service does not own: DELIVERY, which no test here provisions first. */
const OutcomesConsumer = defineConsumer({ stream: 'DELIVERY', durable: 'es-test-outcomes', filterSubject: 'delivery.webhook.>' });

@Controller()
class OutcomesController {
  @OnEvent(OutcomesConsumer, 'delivery.webhook.delivered')
  delivered() {
    return Outcome.ack();
  }
}

@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [BaseConfig],
      useFactory: (config: BaseConfig) => typeOrmOptions(config, { entities: [], migrations: [...eventStoreMigrations, ...messagingMigrations] }),
    }),
    EventSourcingModule.forRoot({ stream: 'ITEMS', relay: { pollMs: 10 } }),
  ],
  controllers: [OutcomesController],
})
class RelayAppModule {}

describe('EventSourcingModule', () => {
  let db: TestDatabase;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const ns = new BusNamespace(uniqueName('es'));

  beforeAll(async () => {
    db = await createTestDatabase('platform_es');
    ({ nc, jsm } = await connectTestNats());
  });

  afterAll(async () => {
    await deleteNamespace(jsm, ns.prefix);
    await nc.drain();
    await db.drop();
  });

  async function boot(env: Record<string, string> = {}): Promise<NestExpressApplication> {
    const config = loadConfig(BaseConfig, {
      NODE_ENV: 'test',
      SERVICE_NAME: 'es-module-test',
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: db.url,
      NATS_URL: testEnv.natsUrl,
      BUS_NAMESPACE: ns.prefix,
      AUTH_TOKEN_SECRETS: 'es-module-test-secret-0123456789abcdef',
      ...env,
    });
    const logs = new LogCapture();
    return bootstrapService(RelayAppModule, {
      config,
      logger: createLogger({ service: config.SERVICE_NAME, level: 'warn', destination: logs }),
      handleSignals: false,
    });
  }

  it('provisions the owned stream, relays appended events, and checkpoints them on shutdown', async () => {
    const app = await boot();
    const store = app.get(EventStore);
    const itemId = randomUUID();
    const events = Array.from({ length: 3 }, (_, i) =>
      newEvent(
        'item.status.changed',
        {
          itemId,
          datasetId: randomUUID(),
          projectId: 'p1',
          from: 'new',
          to: 'in_progress',
          changedBy: `user-${i}`,
          reason: null,
          itemVersion: i + 1,
          changedAt: new Date().toISOString(),
        },
        { source: 'items', projectId: 'p1' },
      ),
    );
    await store.append(`item-${itemId}`, 'any', events);

    const streamName = ns.streamName('ITEMS');
    await until(async () => (await jsm.streams.info(streamName)).state.messages === 3, { message: 'relay published 3 events' });
    const consumer = await jetstream(nc).consumers.get(streamName);
    const first = await consumer.next();
    expect(first?.subject).toBe(ns.subject('item.status.changed'));
    expect(first?.headers?.get('Nats-Msg-Id')).toBe(events[0].id);

    const relay = app.get(RelayHost).relay;
    await until(async () => (await relay.lag()).pending === 0, { message: 'relay checkpointed' });
    const metrics = await (await fetch(`${listeningUrl(app)}/metrics`)).text();
    expect(metrics).toMatch(/stagehook_relay_pending_events\S* 0/);
    await app.close();
    expect(relay.stats.leader).toBe(false);
  });

  it('brings its stream and DEADLETTER to STREAM_MAX_BYTES, in place when they exist with another size', async () => {
    // The test above made both at the default, 1 GiB.
    expect((await jsm.streams.info(ns.streamName('ITEMS'))).config.max_bytes).toBe(1024 ** 3);
    const app = await boot({ STREAM_MAX_BYTES: String(64 * 1024 * 1024) });
    try {
      for (const key of ['ITEMS', 'DEADLETTER'] as const) expect((await jsm.streams.info(ns.streamName(key))).config.max_bytes).toBe(64 * 1024 * 1024);
    } finally {
      await app.close();
    }
  });

  it('creates a stream it only consumes, missing at boot, at STREAM_MAX_BYTES as its owner would', async () => {
    // The replicas travel the same way (STREAM_REPLICAS); on one node only the size is visible.
    // messaging's cluster-provisioning test shows why the replicas matter.
    const fresh = new BusNamespace(uniqueName('es'));
    const app = await boot({ BUS_NAMESPACE: fresh.prefix, STREAM_MAX_BYTES: String(32 * 1024 * 1024) });
    try {
      expect((await jsm.streams.info(fresh.streamName('DELIVERY'))).config.max_bytes).toBe(32 * 1024 * 1024);
    } finally {
      await app.close();
      await deleteNamespace(jsm, fresh.prefix);
    }
  });
});
