import { Module } from '@nestjs/common';
import { DeadLettersController, deadLetterRedriveProvider } from '@stagehook/platform';
import { ManageStageEndpointRpc } from './endpoints/manage-stage-endpoint/manage-stage-endpoint.rpc.js';
import { EndpointLookupRpc } from './endpoints/endpoint-lookup/endpoint-lookup.rpc.js';
import { DeliveryDisabledHandler } from './endpoints/delivery-disabled/delivery-disabled.consumer.js';
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
import { EventTypesModule } from './event-types.module.js';

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
    // Durable consumer (JetStream transport).
    DeliveryDisabledHandler,
    // Request/reply handlers (Nest's NATS transport).
    EndpointLookupRpc,
    ManageStageEndpointRpc,
  ],
  providers: [deadLetterRedriveProvider(), EndpointRepository, EndpointSecrets, UrlGuard, EndpointCommands, RegisterEndpointHandler, UpdateEndpointHandler],
})
export class EndpointsModule {}
