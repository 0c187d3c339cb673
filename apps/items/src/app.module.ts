import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { eventStoreMigrations } from '@stagehook/event-store';
import { messagingMigrations } from '@stagehook/messaging';
import { BaseConfig, EventSourcingModule, LOGGER, typeOrmOptions } from '@stagehook/platform';
import type { Logger } from 'pino';
import { AnnotateController } from './annotate/annotate.controller.js';
import { ChangeStatusController } from './change-status/change-status.controller.js';
import { DarwinController } from './darwin/darwin.controller.js';
import { DatasetsController } from './datasets/datasets.controller.js';
import { ProjectController } from './projects/project.controller.js';
import { ItemsModule } from './items/items.module.js';
import { itemsMigrations } from './persistence/migrations.js';
import { itemsProjection } from './persistence/items.projection.js';
import { QueryItemsController } from './query-items/query-items.controller.js';
import { RegisterItemsController } from './register-items/register-items.controller.js';
import { ItemsRpcHost } from './rpc/items-rpc.host.js';
import { StageEnteredModule } from './stage-entered/stage-entered.consumer.js';
import { TagsController } from './tags/tags.controller.js';
import { WriteBackModule } from './write-back/write-back.consumer.js';

@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [BaseConfig, LOGGER],
      useFactory: (config: BaseConfig, logger: Logger) =>
        typeOrmOptions(config, { entities: [], migrations: [...eventStoreMigrations, ...messagingMigrations, ...itemsMigrations], logger }),
    }),
    // WIRE NAME: the ITEMS stream; every event subject starts with `item.`.
    EventSourcingModule.forRoot({ stream: 'ITEMS', projections: [itemsProjection] }),
    ItemsModule,
    StageEnteredModule,
    WriteBackModule,
  ],
  // ItemsRpcHost: request/reply handlers (Nest's NATS transport).
  controllers: [
    ProjectController,
    DatasetsController,
    RegisterItemsController,
    QueryItemsController,
    AnnotateController,
    TagsController,
    ChangeStatusController,
    DarwinController,
    ItemsRpcHost,
  ],
})
export class AppModule {}
