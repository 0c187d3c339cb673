import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { eventStoreMigrations } from '@stagehook/event-store';
import { messagingMigrations } from '@stagehook/messaging';
import { BaseConfig, EventSourcingModule, LOGGER, typeOrmOptions } from '@stagehook/platform';
import type { Logger } from 'pino';
import { DeliveryModule } from './delivery.module.js';
import { deliveryMigrations } from './persistence/migrations.js';

@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [BaseConfig, LOGGER],
      useFactory: (config: BaseConfig, logger: Logger) =>
        typeOrmOptions(config, { entities: [], migrations: [...eventStoreMigrations, ...messagingMigrations, ...deliveryMigrations], logger }),
    }),
    EventSourcingModule.forRoot({ stream: 'DELIVERY', relay: { pollMs: 50 } }),
    DeliveryModule,
  ],
})
export class AppModule {}
