import { Controller } from '@nestjs/common';
import type { CloudEvent, EventPublishedData, StageEnteredData } from '@stagehook/contracts';
import { OnEventBatch, PrepareEvent, type BatchContext, type BatchHandler, type BatchItem, type HandlerOutcome } from '@stagehook/messaging';
import type { ItemTagEvent } from '../../domain/item-tags.js';
import { ItemEventsConsumer, ITEM_EVENT_TYPES, PublishedEventsConsumer, StageEnteredConsumer, WorkflowEventsConsumer, WORKFLOW_EVENT_TYPES } from '../shared/consumers.js';
import { TagItemsHandler } from '../tag-items/tag-items.handler.js';
import { CreateDeliveriesHandler } from './create-deliveries.handler.js';

/**
 * Intake's durable consumers: events become messages with frozen payloads and their first
 * deliveries, many events per transaction (CreateDeliveriesHandler). Item tag events also keep
 * the item tag view (commands/tag-items) in the same transaction.
 */
@Controller()
export class CreateDeliveriesConsumer {
  readonly #published: BatchHandler;
  readonly #stageEntered: BatchHandler;
  readonly #workflowEvents: BatchHandler;
  readonly #itemEvents: BatchHandler;

  constructor(
    private readonly intake: CreateDeliveriesHandler,
    tags: TagItemsHandler,
  ) {
    this.#published = intake.batch(['webhook.event.published'], (e, scope) => intake.published(e as CloudEvent<'webhook.event.published', EventPublishedData>, scope));
    this.#stageEntered = intake.batch(['workflow.stage.entered'], (e, scope) => intake.stageEntered(e as CloudEvent<'workflow.stage.entered', StageEnteredData>, scope));
    this.#workflowEvents = intake.batch(WORKFLOW_EVENT_TYPES, (e, scope) => intake.subscribable(e, scope));
    // Tag events first update the item tag view that `tags` filters read (TagItemsHandler).
    this.#itemEvents = intake.batch(ITEM_EVENT_TYPES, (e, scope) => (isTagEvent(e) ? tags.itemTagChanged(e as ItemTagEvent, scope) : intake.subscribable(e, scope)));
  }

  @OnEventBatch(PublishedEventsConsumer, ['webhook.event.published'])
  published(items: BatchItem[], ctx: BatchContext): Promise<(HandlerOutcome | undefined)[] | void> {
    return this.#published.handle(items, ctx);
  }

  /** The Darwin export (or item summary) each entry's payload is frozen with, before the transaction. */
  @PrepareEvent(StageEnteredConsumer, 'batch')
  prepareStageEntry(event: CloudEvent): Promise<unknown> {
    return this.intake.prepareStageEntry(event);
  }

  @OnEventBatch(StageEnteredConsumer, ['workflow.stage.entered'])
  stageEntered(items: BatchItem[], ctx: BatchContext): Promise<(HandlerOutcome | undefined)[] | void> {
    return this.#stageEntered.handle(items, ctx);
  }

  /** Workflow events no endpoint of the project could take are acked without a transaction. */
  @PrepareEvent(WorkflowEventsConsumer, 'batch')
  prepareWorkflowEvent(event: CloudEvent): Promise<unknown> {
    return this.intake.prepareSubscribable(event);
  }

  @OnEventBatch(WorkflowEventsConsumer, WORKFLOW_EVENT_TYPES)
  workflowEvent(items: BatchItem[], ctx: BatchContext): Promise<(HandlerOutcome | undefined)[] | void> {
    return this.#workflowEvents.handle(items, ctx);
  }

  /** Item events likewise, but for tag events: they keep the item tag view whoever subscribes. */
  @PrepareEvent(ItemEventsConsumer, 'batch')
  async prepareItemEvent(event: CloudEvent): Promise<unknown> {
    return isTagEvent(event) ? undefined : this.intake.prepareSubscribable(event);
  }

  @OnEventBatch(ItemEventsConsumer, ITEM_EVENT_TYPES)
  itemEvent(items: BatchItem[], ctx: BatchContext): Promise<(HandlerOutcome | undefined)[] | void> {
    return this.#itemEvents.handle(items, ctx);
  }
}

function isTagEvent(e: CloudEvent): boolean {
  return e.type === 'item.tag.added' || e.type === 'item.tag.removed';
}
