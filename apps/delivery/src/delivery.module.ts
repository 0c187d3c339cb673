import { Module } from '@nestjs/common';
import { EventStore } from '@stagehook/event-store';
import { CONSUMER_SETTINGS, DocumentStore, RpcClient, type ConsumerSettings } from '@stagehook/messaging';
import { DeadLettersController, deadLetterRedriveProvider, RetentionHost } from '@stagehook/platform';
import { DataSource } from 'typeorm';
import { DarwinSource } from './adapters/darwin-source.js';
import { DispatcherHost } from './commands/attempt-delivery/dispatcher.host.js';
import { CreateDeliveriesConsumer } from './commands/create-deliveries/create-deliveries.consumer.js';
import { CreateDeliveriesHandler } from './commands/create-deliveries/create-deliveries.handler.js';
import { RecoverEndpointController } from './commands/recover-endpoint/recover-endpoint.controller.js';
import { RecoverEndpointHandler } from './commands/recover-endpoint/recover-endpoint.handler.js';
import { RedeliverController } from './commands/redeliver/redeliver.controller.js';
import { RedeliverHandler } from './commands/redeliver/redeliver.handler.js';
import { ReenableEndpointConsumer } from './commands/reenable-endpoint/reenable-endpoint.consumer.js';
import { TagItemsHandler } from './commands/tag-items/tag-items.handler.js';
import { TestPingRpc } from './commands/test-ping/test-ping.rpc.js';
import { TestStageRpc } from './commands/test-stage/test-stage.rpc.js';
import { UpdateEndpointViewConsumer } from './commands/update-endpoint-view/update-endpoint-view.consumer.js';
import { DeliveryConfig } from './config.js';
import { DeliveryQueue } from './persistence/delivery-queue.repository.js';
import { DeliveryReadRepository } from './persistence/delivery-read.repository.js';
import { EndpointReadRepository } from './persistence/endpoint-read.repository.js';
import { EndpointRepository } from './persistence/endpoint.repository.js';
import { ItemTagRepository } from './persistence/item-tag.repository.js';
import { attemptsRetention, messagesRetention } from './persistence/retention.js';
import { GetDeliveryController } from './queries/get-delivery/get-delivery.controller.js';
import { GetEndpointCircuitController } from './queries/get-endpoint-circuit/get-endpoint-circuit.controller.js';
import { ListAttemptsController } from './queries/list-attempts/list-attempts.controller.js';
import { ListDeliveriesController } from './queries/list-deliveries/list-deliveries.controller.js';
import { ListMessagesController } from './queries/list-messages/list-messages.controller.js';

@Module({
  controllers: [
    // HTTP: queries, then commands.
    ListDeliveriesController,
    ListMessagesController,
    GetDeliveryController,
    ListAttemptsController,
    GetEndpointCircuitController,
    RedeliverController,
    RecoverEndpointController,
    DeadLettersController,
    // Durable consumers (JetStream transport).
    CreateDeliveriesConsumer,
    UpdateEndpointViewConsumer,
    ReenableEndpointConsumer,
    // Request/reply handlers (Nest's NATS transport).
    TestPingRpc,
    TestStageRpc,
  ],
  providers: [
    // Operators' redrive of this service's dead letters (platform README).
    deadLetterRedriveProvider(),
    { provide: DeliveryQueue, inject: [DataSource], useFactory: (ds: DataSource) => new DeliveryQueue(ds) },
    { provide: DeliveryReadRepository, inject: [DataSource], useFactory: (ds: DataSource) => new DeliveryReadRepository(ds) },
    { provide: EndpointRepository, inject: [DataSource], useFactory: (ds: DataSource) => new EndpointRepository(ds) },
    { provide: EndpointReadRepository, inject: [DataSource], useFactory: (ds: DataSource) => new EndpointReadRepository(ds) },
    { provide: ItemTagRepository, inject: [DataSource], useFactory: (ds: DataSource) => new ItemTagRepository(ds) },
    DispatcherHost,
    RedeliverHandler,
    RecoverEndpointHandler,
    TagItemsHandler,
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
    {
      // One for intake and the stage Test button: the item, and its Darwin export, from items.
      provide: DarwinSource,
      inject: [RpcClient, DocumentStore, DeliveryConfig],
      useFactory: (rpc: RpcClient, documents: DocumentStore, config: DeliveryConfig) =>
        new DarwinSource(rpc, documents, { timeoutMs: config.ITEMS_RPC_TIMEOUT_MS, maxBytes: config.DARWIN_MAX_BYTES }),
    },
    {
      provide: CreateDeliveriesHandler,
      inject: [DarwinSource, DeliveryConfig, DeliveryQueue, EndpointReadRepository, ItemTagRepository, EventStore, DispatcherHost],
      useFactory: (
        darwin: DarwinSource,
        config: DeliveryConfig,
        deliveries: DeliveryQueue,
        endpoints: EndpointReadRepository,
        itemTags: ItemTagRepository,
        store: EventStore,
        host: DispatcherHost,
      ) =>
        new CreateDeliveriesHandler(
          deliveries,
          endpoints,
          itemTags,
          store,
          darwin,
          {
            retryDefaults: config.retryDefaults,
            serviceName: config.SERVICE_NAME,
            unknownEndpointRetries: 3,
          },
          host.dispatcher,
        ),
    },
    {
      // What the consumers' declarations cannot read: the config.
      provide: CONSUMER_SETTINGS,
      inject: [DeliveryConfig],
      useFactory: (config: DeliveryConfig): ConsumerSettings => ({ defaults: { concurrency: config.CONSUMER_CONCURRENCY, ackWaitMs: config.CONSUMER_ACK_WAIT_MS } }),
    },
  ],
})
export class DeliveryModule {}
