import { Module } from '@nestjs/common';
import { BusNamespace } from '@stagehook/contracts';
import { ConsumerHost, consumersProvider, type ConsumerRunnerOptions } from '@stagehook/messaging';
import { DeadLettersController, deadLetterRedriveProvider, LOGGER, MetricsService, NATS_CONNECTION, type Logger, type NatsConnection } from '@stagehook/platform';
import { DataSource } from 'typeorm';
import { ManageStageEndpointRpc } from './endpoints/manage-stage-endpoint/manage-stage-endpoint.rpc.js';
import { EndpointLookupRpc } from './endpoints/endpoint-lookup/endpoint-lookup.rpc.js';
import { DELIVERY_DISABLES_DURABLE, DELIVERY_DISABLES_FILTER, mirrorDeliveryDisable } from './endpoints/delivery-disabled/delivery-disabled.consumer.js';
import { ChangeStatusController } from './endpoints/change-status/change-status.controller.js';
import { DeleteEndpointController } from './endpoints/delete-endpoint/delete-endpoint.controller.js';
import { EndpointCommands } from './endpoints/endpoint-commands.js';
import { EndpointSecrets } from './endpoints/endpoint-secrets.js';
import { EndpointRepository } from './endpoints/endpoint.repository.js';
import { QueryEndpointsController } from './endpoints/query-endpoints/query-endpoints.controller.js';
import { RegisterEndpointController } from './endpoints/register-endpoint/register-endpoint.controller.js';
import { RegisterEndpointHandler } from './endpoints/register-endpoint/register-endpoint.handler.js';
import { SigningSecretController } from './endpoints/signing-secret/signing-secret.controller.js';
import { TestPingController } from './endpoints/test-ping/test-ping.controller.js';
import { UpdateEndpointController } from './endpoints/update-endpoint/update-endpoint.controller.js';
import { UpdateEndpointHandler } from './endpoints/update-endpoint/update-endpoint.handler.js';
import { UrlGuard } from './endpoints/url-guard.js';
import { EventTypesModule, PUBLISHED_CONSUMERS } from './event-types.module.js';

@Module({
  imports: [EventTypesModule],
  controllers: [
    RegisterEndpointController,
    QueryEndpointsController,
    UpdateEndpointController,
    ChangeStatusController,
    DeleteEndpointController,
    SigningSecretController,
    TestPingController,
    // Operators' redrive of this service's dead letters, both modules' consumers (platform README).
    DeadLettersController,
  ],
  providers: [
    deadLetterRedriveProvider(ConsumerHost, PUBLISHED_CONSUMERS),
    EndpointRepository,
    EndpointSecrets,
    UrlGuard,
    EndpointCommands,
    RegisterEndpointHandler,
    UpdateEndpointHandler,
    EndpointLookupRpc,
    ManageStageEndpointRpc,
    consumersProvider({
      inject: [DataSource, NATS_CONNECTION, LOGGER, MetricsService, BusNamespace, EndpointRepository],
      useFactory: (dataSource: DataSource, nats: NatsConnection, logger: Logger, metrics: MetricsService, namespace: BusNamespace, repo: EndpointRepository): ConsumerRunnerOptions[] => [
        {
          dataSource,
          nats,
          namespace,
          logger: logger.child({ component: DELIVERY_DISABLES_DURABLE }),
          metrics: metrics.registry,
          stream: 'DELIVERY',
          durable: DELIVERY_DISABLES_DURABLE,
          filterSubject: DELIVERY_DISABLES_FILTER,
          concurrency: 2,
          handlers: { 'delivery.endpoint.disabled': (e, ctx) => mirrorDeliveryDisable(repo, e, ctx) },
        },
      ],
    }),
  ],
})
export class EndpointsModule {}
