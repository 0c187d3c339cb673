import { Module } from '@nestjs/common';
import { RetentionHost } from '@stagehook/platform';
import { DataSource } from 'typeorm';
import { AddEventTypeVersionController } from './commands/add-event-type-version/add-event-type-version.controller.js';
import { AddEventTypeVersionHandler } from './commands/add-event-type-version/add-event-type-version.handler.js';
import { DeprecateEventTypeController } from './commands/deprecate-event-type/deprecate-event-type.controller.js';
import { DeprecateEventTypeHandler } from './commands/deprecate-event-type/deprecate-event-type.handler.js';
import { BusIntakeHandler } from './commands/publish-events/publish-events.consumer.js';
import { PublishEventsController } from './commands/publish-events/publish-events.controller.js';
import { PublishEventsHandler } from './commands/publish-events/publish-events.handler.js';
import { RegisterEventTypeController } from './commands/register-event-type/register-event-type.controller.js';
import { RegisterEventTypeHandler } from './commands/register-event-type/register-event-type.handler.js';
import { EventTypeQueryRepository } from './persistence/event-type.query-repository.js';
import { EventTypeRepository } from './persistence/event-type.repository.js';
import { publishKeysRetention } from './persistence/publish-keys.js';
import { EventTypeCatalogue } from './queries/query-event-types/event-type-catalogue.js';
import { EventTypesController } from './queries/query-event-types/query-event-types.controller.js';

/**
 * The event-type catalogue and the ways events of custom types come in (issue 18): `POST /events`
 * and the PUBLISHED stream. Endpoints read the catalogue (EventTypeCatalogue) to accept
 * subscriptions to registered types.
 */
@Module({
  // BusIntakeHandler: the PUBLISHED stream's durable consumer (JetStream transport).
  controllers: [RegisterEventTypeController, EventTypesController, AddEventTypeVersionController, DeprecateEventTypeController, PublishEventsController, BusIntakeHandler],
  providers: [
    EventTypeRepository,
    EventTypeQueryRepository,
    EventTypeCatalogue,
    RegisterEventTypeHandler,
    AddEventTypeVersionHandler,
    DeprecateEventTypeHandler,
    PublishEventsHandler,
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
