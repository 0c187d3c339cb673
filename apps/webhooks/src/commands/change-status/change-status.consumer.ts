import { Controller } from '@nestjs/common';
import type { CloudEvent, EventData } from '@stagehook/contracts';
import { OnEvent, Outcome, defineConsumer, type HandlerContext, type HandlerOutcome, type TypedEvent } from '@stagehook/messaging';
import { NotFoundError } from '@stagehook/platform';
import { EndpointRepository } from '../../persistence/endpoint.repository.js';

/** WIRE NAMES: the registry's durable on the DELIVERY stream and what it reads. */
export const DeliveryDisablesConsumer = defineConsumer({ stream: 'DELIVERY', durable: 'webhooks-delivery-disables', filterSubject: 'delivery.endpoint.disabled', concurrency: 2 });

/** Who the registry records as having disabled an endpoint that delivery stopped on its own. */
export const DELIVERY_ACTOR = 'service:delivery';

/**
 * Delivery disables an endpoint on its own (410 Gone, days without a success). The registry
 * mirrors it as its own `webhook.endpoint.disabled` by `service:delivery`, in the consumer's
 * transaction, so the registry's view shows who and why, workflow stops routing stages to it,
 * and the registry's enable (the one enable path) is what brings delivery back.
 * An endpoint deleted meanwhile (or of no project the registry knows) has nothing to mirror.
 */
export async function mirrorDeliveryDisable(
  repo: EndpointRepository,
  e: CloudEvent<'delivery.endpoint.disabled', EventData<'delivery.endpoint.disabled'>>,
  ctx: HandlerContext,
): Promise<HandlerOutcome> {
  const { endpointId, projectId, reason, at } = e.data;
  try {
    await repo.execute(endpointId, { type: 'DisableEndpoint', projectId, reason, by: DELIVERY_ACTOR, now: new Date(at) }, { projectId, causationId: e.id, manager: ctx.manager });
  } catch (err) {
    if (err instanceof NotFoundError) {
      ctx.logger.info({ endpointId, projectId }, 'delivery disabled an endpoint the registry no longer has');
      return Outcome.ack();
    }
    throw err;
  }
  return Outcome.ack();
}

@Controller()
export class DeliveryDisabledHandler {
  constructor(private readonly repo: EndpointRepository) {}

  @OnEvent(DeliveryDisablesConsumer, 'delivery.endpoint.disabled')
  disabled(event: TypedEvent<'delivery.endpoint.disabled'>, ctx: HandlerContext): Promise<HandlerOutcome> {
    return mirrorDeliveryDisable(this.repo, event, ctx);
  }
}
