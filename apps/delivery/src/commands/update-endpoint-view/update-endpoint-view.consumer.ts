import { Controller } from '@nestjs/common';
import { OnEvent, type HandlerContext, type HandlerOutcome, type TypedEvent } from '@stagehook/messaging';
import { EndpointRepository } from '../../persistence/endpoint.repository.js';
import { applyEndpointEvent } from '../../persistence/endpoint-view.projection.js';
import { EndpointsConsumer } from '../shared/consumers.js';

/** Every endpoint event but `enabled` (commands/reenable-endpoint handles that one, on the same consumer). */
const ENDPOINT_VIEW_EVENTS = [
  'webhook.endpoint.registered',
  'webhook.endpoint.updated',
  'webhook.endpoint.disabled',
  'webhook.endpoint.deleted',
  'webhook.endpoint.secret.rotated',
] as const;
type EndpointViewEvent = { [T in (typeof ENDPOINT_VIEW_EVENTS)[number]]: TypedEvent<T> }[(typeof ENDPOINT_VIEW_EVENTS)[number]];

/** Keeps the endpoint view (dl_endpoints) from the registry's endpoint events. */
@Controller()
export class UpdateEndpointViewConsumer {
  constructor(private readonly endpoints: EndpointRepository) {}

  @OnEvent(EndpointsConsumer, ENDPOINT_VIEW_EVENTS)
  endpointChanged(event: EndpointViewEvent, ctx: HandlerContext): Promise<HandlerOutcome> {
    return applyEndpointEvent(this.endpoints, event, ctx);
  }
}
