import { Injectable } from '@nestjs/common';
import { Outcome, type HandlerOutcome } from '@stagehook/messaging';
import { tagChange, tagsAfter, type ItemTagEvent } from '../../domain/item-tags.js';
import { ItemTagRepository } from '../../persistence/item-tag.repository.js';
import { sourceOrder } from '../../persistence/source-order.js';
import { CreateDeliveriesHandler, type EventScope } from '../create-deliveries/create-deliveries.handler.js';

/** Keeps the item tag view that endpoints' `tags` filters read, from the items service's tag events. */
@Injectable()
export class TagItemsHandler {
  constructor(
    private readonly itemTags: ItemTagRepository,
    private readonly deliveries: CreateDeliveriesHandler,
  ) {}

  /**
   * `item.tag.added|removed`: the tag view first, in the message's transaction (exactly once with
   * its idempotency record), then the event's own subscribers, whose `tags` filter sees the item's
   * tags after the change: "tag added: urgent" reaches an endpoint filtered on `urgent`, "tag
   * removed: urgent" does not.
   */
  async itemTagChanged(event: ItemTagEvent, ctx: EventScope): Promise<HandlerOutcome> {
    const change = tagChange(event);
    if (!change) return Outcome.deadLetter(`${event.type} without a tag name`);
    await this.itemTags.setTag(change, sourceOrder(event, ctx.streamSequence), ctx.manager);
    return this.deliveries.subscribable(event, ctx, (tags) => tagsAfter(change, tags));
  }
}
