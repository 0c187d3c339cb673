import { Module } from '@nestjs/common';
import { BusNamespace } from '@stagehook/contracts';
import { consumersProvider, type ConsumerRunnerOptions } from '@stagehook/messaging';
import { LOGGER, MetricsService, NATS_CONNECTION, RetentionHost, type Logger, type NatsConnection } from '@stagehook/platform';
import { DataSource } from 'typeorm';
import { EventTypeCatalogue } from './event-types/event-type-catalogue.js';
import { EventTypeRepository } from './event-types/event-type.repository.js';
import { EventTypesController } from './event-types/manage-event-types/event-types.controller.js';
import { BUS_INTAKE_DURABLE, busIntakeHandler, typeOfPublishedSubject } from './publish-events/bus-intake.js';
import { EventIntake } from './publish-events/event-intake.js';
import { PublishEventsController } from './publish-events/publish-events.controller.js';
import { publishKeysRetention } from './publish-events/publish-keys.js';

/** This module's consumers (the PUBLISHED intake), apart from the endpoints module's. */
export const PUBLISHED_CONSUMERS = Symbol('PUBLISHED_CONSUMERS');

/**
 * The event-type catalogue and the ways events of custom types come in (issue 18): `POST /events`
 * and the PUBLISHED stream. Endpoints read the catalogue (EventTypeCatalogue) to accept
 * subscriptions to registered types.
 */
@Module({
  controllers: [EventTypesController, PublishEventsController],
  providers: [
    EventTypeRepository,
    EventTypeCatalogue,
    EventIntake,
    {
      provide: 'PUBLISH_KEYS_RETENTION',
      inject: [RetentionHost, DataSource],
      useFactory: (retention: RetentionHost, ds: DataSource) => {
        retention.job.add(publishKeysRetention(ds));
        return retention.job.tasks;
      },
    },
    consumersProvider({
      provide: PUBLISHED_CONSUMERS,
      inject: [DataSource, NATS_CONNECTION, LOGGER, MetricsService, BusNamespace, EventIntake],
      useFactory: (dataSource: DataSource, nats: NatsConnection, logger: Logger, metrics: MetricsService, namespace: BusNamespace, intake: EventIntake): ConsumerRunnerOptions[] => [
        {
          dataSource,
          nats,
          namespace,
          logger: logger.child({ component: 'consumer' }),
          metrics: metrics.registry,
          stream: 'PUBLISHED',
          durable: BUS_INTAKE_DURABLE,
          filterSubject: 'published.>',
          handlers: {},
          foreign: { typeOfSubject: typeOfPublishedSubject, handler: busIntakeHandler(intake) },
          // A refusal is a dead letter at once; only infrastructure failures are retried.
          maxDeliver: 10,
        },
      ],
    }),
  ],
  // The registry's dead-letter API (EndpointsModule) redrives these consumers too.
  exports: [EventTypeCatalogue, PUBLISHED_CONSUMERS],
})
export class EventTypesModule {}
