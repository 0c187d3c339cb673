import { Module } from '@nestjs/common';
import { BusNamespace, EventCatalog, SUBSCRIBABLE_EVENT_TYPES, type CloudEvent, type EventPublishedData, type StageEnteredData } from '@stagehook/contracts';
import { EventStore } from '@stagehook/event-store';
import { consumersProvider, type ConsumerRunnerOptions } from '@stagehook/messaging';
import { DeadLettersController, deadLetterRedriveProvider, LOGGER, MetricsService, NATS_CONNECTION, RetentionHost, type NatsConnection } from '@stagehook/platform';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { DeliveriesController } from './api/deliveries.controller.js';
import { DeliveryConfig, parseMsList } from './config.js';
import { applyEndpointEvent } from './consumers/endpoint-view.js';
import { clearOwnDisable } from './consumers/reenable.js';
import { Intake } from './consumers/intake.js';
import { DarwinSource } from './consumers/darwin-source.js';
import type { ItemTagEvent } from './consumers/item-tags.js';
import { DispatcherHost } from './dispatch/dispatcher.host.js';
import { DeliveryRepository } from './persistence/delivery.repository.js';
import { EndpointRepository } from './persistence/endpoint.repository.js';
import { ItemTagRepository } from './persistence/item-tag.repository.js';
import { attemptsRetention, messagesRetention } from './persistence/retention.js';
import { StageTestService } from './stage-test/stage-test.service.js';
import { TestPingService } from './test-ping/test-ping.service.js';

@Module({
  controllers: [DeliveriesController, DeadLettersController],
  providers: [
    // Operators' redrive of this service's dead letters (platform README).
    deadLetterRedriveProvider(),
    { provide: DeliveryRepository, inject: [DataSource], useFactory: (ds: DataSource) => new DeliveryRepository(ds) },
    { provide: EndpointRepository, inject: [DataSource], useFactory: (ds: DataSource) => new EndpointRepository(ds) },
    { provide: ItemTagRepository, inject: [DataSource], useFactory: (ds: DataSource) => new ItemTagRepository(ds) },
    DispatcherHost,
    {
      // The platform's retention job (handled ids) also removes old messages and attempts.
      provide: 'DELIVERY_RETENTION',
      inject: [RetentionHost, DataSource, DeliveryConfig],
      useFactory: (retention: RetentionHost, ds: DataSource, config: DeliveryConfig) => {
        retention.job.add(messagesRetention(ds, config.RETENTION_MESSAGES_MS));
        retention.job.add(attemptsRetention(ds, config.RETENTION_ATTEMPTS_MS));
        return retention.job.tasks;
      },
    },
    TestPingService,
    StageTestService,
    consumersProvider({
      inject: [DataSource, NATS_CONNECTION, LOGGER, MetricsService, BusNamespace, DeliveryConfig, DeliveryRepository, EndpointRepository, ItemTagRepository, EventStore, DispatcherHost],
      useFactory: (
        dataSource: DataSource,
        nats: NatsConnection,
        logger: Logger,
        metrics: MetricsService,
        namespace: BusNamespace,
        config: DeliveryConfig,
        deliveries: DeliveryRepository,
        endpoints: EndpointRepository,
        itemTags: ItemTagRepository,
        store: EventStore,
        host: DispatcherHost,
      ): ConsumerRunnerOptions[] => {
        const intake = new Intake(
          deliveries,
          endpoints,
          itemTags,
          store,
          new DarwinSource(nats, namespace, { timeoutMs: config.ITEMS_RPC_TIMEOUT_MS, maxBytes: config.DARWIN_MAX_BYTES }),
          {
            stageMaxAttempts: parseMsList(config.STAGE_RETRY_SCHEDULE_MS).length,
            standardMaxAttempts: parseMsList(config.RETRY_SCHEDULE_MS).length,
            serviceName: config.SERVICE_NAME,
            unknownEndpointRetries: 3,
          },
          () => host.dispatcher.wake(),
        );
        const common = {
          dataSource,
          nats,
          namespace,
          logger: logger.child({ component: 'consumer' }),
          metrics: metrics.registry,
          concurrency: config.CONSUMER_CONCURRENCY,
          // Handlers only write rows (no HTTP inside), so the default AckWait is ample.
          ackWaitMs: config.CONSUMER_ACK_WAIT_MS,
        };
        return [
          {
            ...common,
            stream: 'WEBHOOKS',
            durable: 'delivery-endpoints', // WIRE NAME
            filterSubject: 'webhook.>',
            handlers: {
              'webhook.endpoint.registered': (e, ctx) => applyEndpointEvent(endpoints, e, ctx),
              'webhook.endpoint.updated': (e, ctx) => applyEndpointEvent(endpoints, e, ctx),
              'webhook.endpoint.disabled': (e, ctx) => applyEndpointEvent(endpoints, e, ctx),
              // The registry's enable is the one enable path: it also ends delivery's own disable.
              'webhook.endpoint.enabled': (e, ctx) =>
                applyEndpointEvent(endpoints, e, ctx, {
                  enabled: async (data, { manager }) => {
                    if ((await clearOwnDisable(manager, store, config.SERVICE_NAME, data)) !== null) host.dispatcher.wake();
                  },
                }),
              'webhook.endpoint.deleted': (e, ctx) => applyEndpointEvent(endpoints, e, ctx),
              'webhook.endpoint.secret.rotated': (e, ctx) => applyEndpointEvent(endpoints, e, ctx),
            },
          },
          {
            ...common,
            stream: 'WEBHOOKS',
            durable: 'delivery-published-events', // WIRE NAME
            // Events of projects' custom types, accepted by the registry (POST /events, PUBLISHED stream).
            filterSubject: 'webhook.event.published',
            handlers: {},
            batch: intake.batch(['webhook.event.published'], (e, scope) => intake.published(e as CloudEvent<'webhook.event.published', EventPublishedData>, scope)),
          },
          {
            ...common,
            stream: 'WORKFLOW',
            durable: 'delivery-stage-entered', // WIRE NAME
            filterSubject: 'workflow.stage.entered',
            // The Darwin export may be unavailable for a while: many cheap retries before a dead letter.
            maxDeliver: 100,
            handlers: {},
            batch: intake.batch(
              ['workflow.stage.entered'],
              (e, scope) => intake.stageEntered(e as CloudEvent<'workflow.stage.entered', StageEnteredData>, scope),
              (e) => intake.prepareStageEntry(e),
            ),
          },
          {
            ...common,
            stream: 'WORKFLOW',
            durable: 'delivery-workflow-events', // WIRE NAME
            filterSubject: 'workflow.>',
            handlers: {},
            // Every other subscribable workflow event (stage left, item completed, definitions);
            // stage entries have their own consumer above, which also serves their subscribers.
            batch: intake.batch(
              SUBSCRIBABLE_EVENT_TYPES.filter((t) => t.startsWith('workflow.') && t !== 'workflow.stage.entered'),
              (e, scope) => intake.subscribable(e, scope),
            ),
          },
          {
            ...common,
            stream: 'ITEMS',
            durable: 'delivery-item-events', // WIRE NAME
            filterSubject: 'item.>',
            // Every item event in the catalog is subscribable; a type added there is delivered
            // without a change here. Tag events first update the item tag view that `tags`
            // filters read (Intake.itemTagChanged).
            handlers: {},
            batch: intake.batch(
              Object.keys(EventCatalog).filter((t) => t.startsWith('item.')),
              (e, scope) => (e.type === 'item.tag.added' || e.type === 'item.tag.removed' ? intake.itemTagChanged(e as ItemTagEvent, scope) : intake.subscribable(e, scope)),
            ),
          },
        ];
      },
    }),
  ],
})
export class DeliveryModule {}
