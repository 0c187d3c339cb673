import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BusNamespace } from '@stagehook/contracts';
import { eventStoreMigrations } from '@stagehook/event-store';
import { consumersProvider, messagingMigrations } from '@stagehook/messaging';
import {
  BaseConfig,
  DeadLettersController,
  deadLetterRedriveProvider,
  EventSourcingModule,
  LOGGER,
  MetricsService,
  NATS_CONNECTION,
  type NatsConnection,
  typeOrmOptions,
} from '@stagehook/platform';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { WorkflowConfig } from './config.js';
import { DefinitionsController } from './definitions/definitions.controller.js';
import { DefinitionsService } from './definitions/definitions.service.js';
import { StageEndpoints } from './definitions/stage-endpoints.js';
import { ImportV7Controller } from './import-v7/import-v7.controller.js';
import { StageTestController, StageTestService } from './stage-test/stage-test.controller.js';
import { ENDPOINTS_DURABLE, ENDPOINTS_FILTER, endpointStatusHandlers } from './endpoints/endpoint-status.js';
import { ItemCommandsService } from './items/item-commands.service.js';
import { ItemsController } from './items/items.controller.js';
import { deliveryOutcomeHandlers, OUTCOMES_DURABLE, OUTCOMES_FILTER } from './outcomes/delivery-outcomes.js';
import { DATASET_INTAKE_DURABLE, DATASET_INTAKE_FILTER, datasetIntakeHandlers } from './dataset-intake/dataset-intake.js';
import { WRITE_BACK_DURABLE, WRITE_BACK_FILTER, writeBackHandlers } from './outcomes/write-back.js';
import { workflowMigrations } from './persistence/migrations.js';
import { workflowProjections } from './persistence/projections.js';
import { ReadModelsController } from './read-models/read-models.controller.js';
import { WebhookWaitMetrics } from './read-models/webhook-wait-metrics.js';
import { ItemHeads } from './shared/item-heads.js';
import { KnownEndpoints } from './shared/known-endpoints.js';
import { DefinitionsRepository, EndpointStatusRepository, PositionsRepository } from './shared/repositories.js';

@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [BaseConfig, LOGGER],
      useFactory: (config: BaseConfig, logger: Logger) =>
        typeOrmOptions(config, { entities: [], migrations: [...eventStoreMigrations, ...messagingMigrations, ...workflowMigrations], logger }),
    }),
    EventSourcingModule.forRoot({ stream: 'WORKFLOW', projections: workflowProjections }),
  ],
  // DeadLettersController: operators' redrive of this service's dead letters (platform README).
  controllers: [DefinitionsController, ImportV7Controller, StageTestController, ItemsController, ReadModelsController, DeadLettersController],
  providers: [
    deadLetterRedriveProvider(),
    DefinitionsRepository,
    PositionsRepository,
    EndpointStatusRepository,
    ItemHeads,
    KnownEndpoints,
    StageEndpoints,
    DefinitionsService,
    StageTestService,
    ItemCommandsService,
    WebhookWaitMetrics,
    consumersProvider({
      inject: [DataSource, NATS_CONNECTION, LOGGER, MetricsService, BusNamespace, WorkflowConfig, ItemCommandsService, EndpointStatusRepository, ItemHeads, DefinitionsRepository],
      useFactory: (
        dataSource: DataSource,
        nats: NatsConnection,
        logger: Logger,
        metrics: MetricsService,
        namespace: BusNamespace,
        config: WorkflowConfig,
        commands: ItemCommandsService,
        endpoints: EndpointStatusRepository,
        heads: ItemHeads,
        definitions: DefinitionsRepository,
      ) => [
        {
          dataSource,
          nats,
          namespace,
          logger: logger.child({ component: OUTCOMES_DURABLE }),
          metrics: metrics.registry,
          stream: 'DELIVERY',
          durable: OUTCOMES_DURABLE,
          filterSubject: OUTCOMES_FILTER,
          concurrency: config.OUTCOME_CONCURRENCY,
          ackWaitMs: 30_000,
          maxDeliver: 20,
          handlers: deliveryOutcomeHandlers(commands, heads),
        },
        {
          dataSource,
          nats,
          namespace,
          logger: logger.child({ component: ENDPOINTS_DURABLE }),
          metrics: metrics.registry,
          stream: 'WEBHOOKS',
          durable: ENDPOINTS_DURABLE,
          filterSubject: ENDPOINTS_FILTER,
          concurrency: 2,
          handlers: endpointStatusHandlers(endpoints, commands),
        },
        {
          dataSource,
          nats,
          namespace,
          logger: logger.child({ component: WRITE_BACK_DURABLE }),
          metrics: metrics.registry,
          stream: 'ITEMS',
          durable: WRITE_BACK_DURABLE,
          filterSubject: WRITE_BACK_FILTER,
          concurrency: config.OUTCOME_CONCURRENCY,
          handlers: writeBackHandlers(commands),
        },
        {
          dataSource,
          nats,
          namespace,
          logger: logger.child({ component: DATASET_INTAKE_DURABLE }),
          metrics: metrics.registry,
          stream: 'ITEMS',
          durable: DATASET_INTAKE_DURABLE,
          filterSubject: DATASET_INTAKE_FILTER,
          concurrency: 1,
          handlers: datasetIntakeHandlers(commands, definitions),
        },
      ],
    }),
  ],
})
export class AppModule {}
