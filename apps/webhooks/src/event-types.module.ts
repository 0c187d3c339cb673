import { Module } from '@nestjs/common';
import { RetentionHost } from '@stagehook/platform';
import { DataSource } from 'typeorm';
import { EventTypeCatalogue } from './event-types/event-type-catalogue.js';
import { EventTypeRepository } from './event-types/event-type.repository.js';
import { EventTypesController } from './event-types/manage-event-types/event-types.controller.js';
import { BusIntakeHandler } from './publish-events/bus-intake.js';
import { EventIntake } from './publish-events/event-intake.js';
import { PublishEventsController } from './publish-events/publish-events.controller.js';
import { publishKeysRetention } from './publish-events/publish-keys.js';

/**
 * The event-type catalogue and the ways events of custom types come in (issue 18): `POST /events`
 * and the PUBLISHED stream. Endpoints read the catalogue (EventTypeCatalogue) to accept
 * subscriptions to registered types.
 */
@Module({
  // BusIntakeHandler: the PUBLISHED stream's durable consumer (JetStream transport).
  controllers: [EventTypesController, PublishEventsController, BusIntakeHandler],
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
  ],
  exports: [EventTypeCatalogue],
})
export class EventTypesModule {}
