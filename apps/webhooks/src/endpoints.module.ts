import { Module } from '@nestjs/common';
import { DeadLettersController, deadLetterRedriveProvider } from '@stagehook/platform';
import { EndpointSecrets } from './adapters/endpoint-secrets.js';
import { UrlGuard } from './adapters/url-guard.js';
import { DeliveryDisabledHandler } from './commands/change-status/change-status.consumer.js';
import { ChangeStatusController } from './commands/change-status/change-status.controller.js';
import { DeleteEndpointController } from './commands/delete-endpoint/delete-endpoint.controller.js';
import { ManageStageEndpointRpc } from './commands/manage-stage-endpoint/manage-stage-endpoint.rpc.js';
import { RegisterEndpointController } from './commands/register-endpoint/register-endpoint.controller.js';
import { RegisterEndpointHandler } from './commands/register-endpoint/register-endpoint.handler.js';
import { ReleaseStageEndpointRpc } from './commands/release-stage-endpoint/release-stage-endpoint.rpc.js';
import { RevealSecretController } from './commands/reveal-secret/reveal-secret.controller.js';
import { RotateSecretController } from './commands/rotate-secret/rotate-secret.controller.js';
import { EndpointCommands } from './commands/shared/endpoint-commands.js';
import { TestPingController } from './commands/test-ping/test-ping.controller.js';
import { UpdateEndpointController } from './commands/update-endpoint/update-endpoint.controller.js';
import { UpdateEndpointHandler } from './commands/update-endpoint/update-endpoint.handler.js';
import { EventTypesModule } from './event-types.module.js';
import { EndpointQueryRepository } from './persistence/endpoint.query-repository.js';
import { EndpointRepository } from './persistence/endpoint.repository.js';
import { QueryEndpointsController } from './queries/query-endpoints/query-endpoints.controller.js';
import { EndpointLookupRpc } from './queries/query-endpoints/query-endpoints.rpc.js';

@Module({
  imports: [EventTypesModule],
  controllers: [
    RegisterEndpointController,
    QueryEndpointsController,
    UpdateEndpointController,
    ChangeStatusController,
    DeleteEndpointController,
    RotateSecretController,
    RevealSecretController,
    TestPingController,
    // Operators' redrive of this service's dead letters, both modules' consumers (platform README).
    DeadLettersController,
    // Durable consumer (JetStream transport).
    DeliveryDisabledHandler,
    // Request/reply handlers (Nest's NATS transport).
    EndpointLookupRpc,
    ManageStageEndpointRpc,
    ReleaseStageEndpointRpc,
  ],
  providers: [
    deadLetterRedriveProvider(),
    EndpointRepository,
    EndpointQueryRepository,
    EndpointSecrets,
    UrlGuard,
    EndpointCommands,
    RegisterEndpointHandler,
    UpdateEndpointHandler,
  ],
})
export class EndpointsModule {}
