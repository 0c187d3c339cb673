import { Controller, Inject } from '@nestjs/common';
import { EventStore } from '@stagehook/event-store';
import { OnEvent, type HandlerContext, type HandlerOutcome, type TypedEvent } from '@stagehook/messaging';
import { DeliveryConfig } from '../../config.js';
import { EndpointRepository } from '../../persistence/endpoint.repository.js';
import { applyEndpointEvent } from '../../persistence/endpoint-view.projection.js';
import { DispatcherHost } from '../attempt-delivery/dispatcher.host.js';
import { EndpointsConsumer } from '../shared/consumers.js';
import { clearOwnDisable } from './reenable-endpoint.handler.js';

@Controller()
export class ReenableEndpointConsumer {
  constructor(
    private readonly endpoints: EndpointRepository,
    private readonly store: EventStore,
    private readonly host: DispatcherHost,
    @Inject(DeliveryConfig) private readonly config: DeliveryConfig,
  ) {}

  /** The registry's enable is the one enable path: it also ends delivery's own disable. */
  @OnEvent(EndpointsConsumer, 'webhook.endpoint.enabled')
  endpointEnabled(event: TypedEvent<'webhook.endpoint.enabled'>, ctx: HandlerContext): Promise<HandlerOutcome> {
    return applyEndpointEvent(this.endpoints, event, ctx, {
      enabled: async (data, { manager }) => {
        if ((await clearOwnDisable(manager, this.store, this.config.SERVICE_NAME, data)) !== null) this.host.dispatcher.wake();
      },
    });
  }
}
