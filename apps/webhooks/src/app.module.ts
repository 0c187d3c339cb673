import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { eventStoreMigrations } from '@stagehook/event-store';
import { messagingMigrations } from '@stagehook/messaging';
import { BaseConfig, EventSourcingModule, LOGGER, type Logger, typeOrmOptions } from '@stagehook/platform';
import { EndpointsModule } from './endpoints.module.js';
import { EventTypesModule } from './event-types.module.js';
import { WebhookEndpoints1795470000000 } from './persistence/endpoint.migration.js';
import { endpointProjection } from './persistence/endpoint.projection.js';
import { WebhookEventTypes1796000000000 } from './persistence/event-type.migration.js';
import { eventTypeProjection } from './persistence/event-type.projection.js';

@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [BaseConfig, LOGGER],
      useFactory: (config: BaseConfig, logger: Logger) =>
        typeOrmOptions(config, {
          entities: [],
          migrations: [...eventStoreMigrations, ...messagingMigrations, WebhookEndpoints1795470000000, WebhookEventTypes1796000000000],
          logger,
        }),
    }),
    EventSourcingModule.forRoot({ stream: 'WEBHOOKS', alsoOwns: ['PUBLISHED'], projections: [endpointProjection, eventTypeProjection] }),
    EventTypesModule,
    EndpointsModule,
  ],
})
export class AppModule {}
