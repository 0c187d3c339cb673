import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { eventStoreMigrations } from '@stagehook/event-store';
import { messagingMigrations } from '@stagehook/messaging';
import { BaseConfig, DeadLettersController, EventSourcingModule, LOGGER, deadLetterRedriveProvider, typeOrmOptions } from '@stagehook/platform';
import type { Logger } from 'pino';
import { AnnotateController } from './commands/annotate/annotate.controller.js';
import { AnnotateHandler } from './commands/annotate/annotate.handler.js';
import { WriteBackHandler } from './commands/apply-write-back/apply-write-back.consumer.js';
import { ChangeStatusController } from './commands/change-status/change-status.controller.js';
import { ChangeStatusHandler } from './commands/change-status/change-status.handler.js';
import { CreateDatasetController } from './commands/create-dataset/create-dataset.controller.js';
import { StageEnteredHandler } from './commands/enter-stage/enter-stage.consumer.js';
import { DarwinController } from './commands/import-darwin/import-darwin.controller.js';
import { ImportDarwinHandler } from './commands/import-darwin/import-darwin.handler.js';
import { NameProjectController } from './commands/name-project/name-project.controller.js';
import { RegisterItemsController } from './commands/register-items/register-items.controller.js';
import { RegisterItemsHandler } from './commands/register-items/register-items.handler.js';
import { ItemCommands } from './commands/shared/item-commands.js';
import { TagsController } from './commands/tag/tag.controller.js';
import { itemsProjection } from './persistence/items.projection.js';
import { ItemsQueryRepository } from './persistence/items.query-repository.js';
import { ItemsRepository } from './persistence/items.repository.js';
import { itemsMigrations } from './persistence/migrations.js';
import { ExportDarwinController } from './queries/export-darwin/export-darwin.controller.js';
import { ExportDarwinQuery } from './queries/export-darwin/export-darwin.query.js';
import { ExportDarwinRpc } from './queries/export-darwin/export-darwin.rpc.js';
import { ItemHeadRpc } from './queries/item-head/item-head.rpc.js';
import { DatasetsController } from './queries/query-datasets/query-datasets.controller.js';
import { QueryItemsController } from './queries/query-items/query-items.controller.js';
import { ProjectController } from './queries/query-project/query-project.controller.js';

@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [BaseConfig, LOGGER],
      useFactory: (config: BaseConfig, logger: Logger) =>
        typeOrmOptions(config, { entities: [], migrations: [...eventStoreMigrations, ...messagingMigrations, ...itemsMigrations], logger }),
    }),
    // WIRE NAME: the ITEMS stream; every event subject starts with `item.`.
    EventSourcingModule.forRoot({ stream: 'ITEMS', projections: [itemsProjection] }),
  ],
  controllers: [
    // HTTP, in the order the OpenAPI document lists them.
    ProjectController,
    NameProjectController,
    CreateDatasetController,
    DatasetsController,
    RegisterItemsController,
    QueryItemsController,
    AnnotateController,
    TagsController,
    ChangeStatusController,
    ExportDarwinController,
    DarwinController,
    // Operators' redrive of this service's dead letters (platform README).
    DeadLettersController,
    // Request/reply handlers (Nest's NATS transport).
    ItemHeadRpc,
    ExportDarwinRpc,
    // Durable consumers (JetStream transport).
    StageEnteredHandler,
    WriteBackHandler,
  ],
  providers: [
    deadLetterRedriveProvider(),
    ItemsRepository,
    ItemsQueryRepository,
    ItemCommands,
    RegisterItemsHandler,
    AnnotateHandler,
    ChangeStatusHandler,
    ImportDarwinHandler,
    ExportDarwinQuery,
  ],
})
export class AppModule {}
