import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { eventStoreMigrations } from '@stagehook/event-store';
import { messagingMigrations } from '@stagehook/messaging';
import { EventSourcingModule, LOGGER, typeOrmOptions } from '@stagehook/platform';
import { DeliveryConfig } from './config.js';
import type { Logger } from 'pino';
import { DeliveryModule } from './delivery.module.js';
import { deliveryMigrations } from './persistence/migrations.js';

@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [DeliveryConfig, LOGGER],
      useFactory: (config: DeliveryConfig, logger: Logger) =>
        typeOrmOptions(config, {
          entities: [],
          migrations: [...eventStoreMigrations, ...messagingMigrations, ...deliveryMigrations],
          logger,
          poolSize: config.DB_POOL_SIZE,
        }),
    }),
    EventSourcingModule.forRoot({ stream: 'DELIVERY', relay: { pollMs: 50 } }),
    DeliveryModule,
  ],
})
export class AppModule {}
