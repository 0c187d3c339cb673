import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { eventStoreMigrations } from '@stagehook/event-store';
import { CONSUMER_SETTINGS, messagingMigrations, type ConsumerSettings } from '@stagehook/messaging';
import { BaseConfig, DeadLettersController, deadLetterRedriveProvider, EventSourcingModule, LOGGER, typeOrmOptions } from '@stagehook/platform';
import type { Logger } from 'pino';
import { ItemHeads } from './adapters/item-heads.js';
import { KnownEndpoints } from './adapters/known-endpoints.js';
import { StageEndpoints } from './adapters/stage-endpoints.js';
import { AddItemsController } from './commands/add-items/add-items.controller.js';
import { AddItemsHandler } from './commands/add-items/add-items.handler.js';
import { AdvanceItemController } from './commands/advance-item/advance-item.controller.js';
import { ApplyEndpointStatusConsumer } from './commands/apply-endpoint-status/apply-endpoint-status.consumer.js';
import { ApplyEndpointStatusHandler } from './commands/apply-endpoint-status/apply-endpoint-status.handler.js';
import { CreateDefinitionController } from './commands/create-definition/create-definition.controller.js';
import { CreateDefinitionHandler } from './commands/create-definition/create-definition.handler.js';
import { CreateFromTemplateController } from './commands/create-from-template/create-from-template.controller.js';
import { CreateFromTemplateHandler } from './commands/create-from-template/create-from-template.handler.js';
import { EnterFromDatasetConsumer } from './commands/enter-from-dataset/enter-from-dataset.consumer.js';
import { EnterFromDatasetHandler } from './commands/enter-from-dataset/enter-from-dataset.handler.js';
import { ImportV7Controller } from './commands/import-v7-workflow/import-v7-workflow.controller.js';
import { MoveItemController } from './commands/move-item/move-item.controller.js';
import { DeliveryOutcomesConsumer, RecordOutcomeConsumer } from './commands/record-outcome/record-outcome.consumer.js';
import { RecordOutcomeHandler } from './commands/record-outcome/record-outcome.handler.js';
import { WriteBackConsumer, WriteBackOutcomeConsumer } from './commands/record-outcome/write-back.consumer.js';
import { SetStageController } from './commands/set-stage/set-stage.controller.js';
import { DefinitionSave } from './commands/shared/definition-save.js';
import { ItemCommandHandler } from './commands/shared/item-command.handler.js';
import { ItemStream } from './commands/shared/item-stream.js';
import { TestStageHandler } from './commands/test-stage/test-stage.handler.js';
import { StageTestController } from './commands/test-stage/test-stage.controller.js';
import { UpdateDefinitionController } from './commands/update-definition/update-definition.controller.js';
import { UpdateDefinitionHandler } from './commands/update-definition/update-definition.handler.js';
import { WorkflowConfig } from './config.js';
import { DefinitionsQueries } from './persistence/definitions.queries.js';
import { DefinitionsRepository } from './persistence/definitions.repository.js';
import { EndpointStatusRepository } from './persistence/endpoint-status.repository.js';
import { workflowMigrations } from './persistence/migrations.js';
import { PositionsQueries } from './persistence/positions.queries.js';
import { PositionsRepository } from './persistence/positions.repository.js';
import { workflowProjections } from './persistence/projections.js';
import { ItemPositionController } from './queries/item-position/item-position.controller.js';
import { QueryDefinitionsController } from './queries/query-definitions/query-definitions.controller.js';
import { ReadModelsController } from './queries/read-models/read-models.controller.js';
import { WebhookWaitMetrics } from './queries/read-models/webhook-wait-metrics.js';

@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [BaseConfig, LOGGER],
      useFactory: (config: BaseConfig, logger: Logger) =>
        typeOrmOptions(config, { entities: [], migrations: [...eventStoreMigrations, ...messagingMigrations, ...workflowMigrations], logger }),
    }),
    // An item's folded state is a few hundred bytes: keep every item in flight, not the last 256.
    EventSourcingModule.forRoot({ stream: 'WORKFLOW', projections: workflowProjections, stateCacheSize: 20_000 }),
  ],
  // DeadLettersController: operators' redrive of this service's dead letters (platform README).
  controllers: [
    // Definitions.
    CreateDefinitionController,
    CreateFromTemplateController,
    QueryDefinitionsController,
    UpdateDefinitionController,
    ImportV7Controller,
    StageTestController,
    // Items in workflows. Routes are matched in this order: move and set-stage before
    // `:itemId/:command`, which would take their paths for a command named "move".
    AddItemsController,
    MoveItemController,
    SetStageController,
    AdvanceItemController,
    ItemPositionController,
    ReadModelsController,
    DeadLettersController,
    // Durable consumers (JetStream transport).
    RecordOutcomeConsumer,
    ApplyEndpointStatusConsumer,
    WriteBackOutcomeConsumer,
    EnterFromDatasetConsumer,
  ],
  providers: [
    deadLetterRedriveProvider(),
    // Persistence: write side, then queries.
    DefinitionsRepository,
    PositionsRepository,
    EndpointStatusRepository,
    DefinitionsQueries,
    PositionsQueries,
    // Adapters: other services.
    ItemHeads,
    KnownEndpoints,
    StageEndpoints,
    // Command handlers and what they share.
    ItemStream,
    ItemCommandHandler,
    DefinitionSave,
    CreateDefinitionHandler,
    CreateFromTemplateHandler,
    UpdateDefinitionHandler,
    TestStageHandler,
    AddItemsHandler,
    EnterFromDatasetHandler,
    RecordOutcomeHandler,
    ApplyEndpointStatusHandler,
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
