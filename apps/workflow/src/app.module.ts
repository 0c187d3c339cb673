import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { eventStoreMigrations } from '@stagehook/event-store';
import { CONSUMER_SETTINGS, messagingMigrations, type ConsumerSettings } from '@stagehook/messaging';
import { BaseConfig, DeadLettersController, deadLetterRedriveProvider, EventSourcingModule, LOGGER, typeOrmOptions } from '@stagehook/platform';
import type { Logger } from 'pino';
import { WorkflowConfig } from './config.js';
import { DefinitionsController } from './definitions/definitions.controller.js';
import { DefinitionsService } from './definitions/definitions.service.js';
import { StageEndpoints } from './definitions/stage-endpoints.js';
import { ImportV7Controller } from './import-v7/import-v7.controller.js';
import { StageTestController, StageTestService } from './stage-test/stage-test.controller.js';
import { EndpointStatusHandler } from './endpoints/endpoint-status.js';
import { ItemCommandsService } from './items/item-commands.service.js';
import { ItemsController } from './items/items.controller.js';
import { DeliveryOutcomesConsumer, DeliveryOutcomesHandler } from './outcomes/delivery-outcomes.js';
import { DatasetIntakeHandler } from './dataset-intake/dataset-intake.js';
import { WriteBackConsumer, WriteBackHandler } from './outcomes/write-back.js';
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
  controllers: [
    DefinitionsController,
    ImportV7Controller,
    StageTestController,
    ItemsController,
    ReadModelsController,
    DeadLettersController,
    // Durable consumers (JetStream transport).
    DeliveryOutcomesHandler,
    EndpointStatusHandler,
    WriteBackHandler,
    DatasetIntakeHandler,
  ],
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
    {
      // What the consumers' declarations cannot read: the config.
      provide: CONSUMER_SETTINGS,
      inject: [WorkflowConfig],
      useFactory: (config: WorkflowConfig): ConsumerSettings => ({
        byConsumer: {
          [DeliveryOutcomesConsumer.durable]: { concurrency: config.OUTCOME_CONCURRENCY },
          [WriteBackConsumer.durable]: { concurrency: config.OUTCOME_CONCURRENCY },
        },
      }),
    },
  ],
})
export class AppModule {}
