import { Controller, Inject } from '@nestjs/common';
import { EventCatalog, SUBSCRIBABLE_EVENT_TYPES, type CloudEvent, type EventPublishedData, type StageEnteredData } from '@stagehook/contracts';
import { EventStore } from '@stagehook/event-store';
import {
  OnEvent,
  OnEventBatch,
  PrepareEvent,
  defineConsumer,
  type BatchContext,
  type BatchHandler,
  type BatchItem,
  type HandlerContext,
  type HandlerOutcome,
  type TypedEvent,
} from '@stagehook/messaging';
import { DeliveryConfig } from '../../config.js';
import { DispatcherHost } from '../attempt-delivery/dispatcher.host.js';
import { EndpointRepository } from '../../persistence/endpoint.repository.js';
import { applyEndpointEvent } from '../../persistence/endpoint-view.projection.js';
import { Intake } from './create-deliveries.handler.js';
import type { ItemTagEvent } from '../../domain/item-tags.js';
import { clearOwnDisable } from '../reenable-endpoint/reenable-endpoint.handler.js';

// WIRE NAMES: the durables below (JetStream durable, msg_handled.consumer, deadletter.<name>).
// Concurrency and ack wait come from CONSUMER_CONCURRENCY / CONSUMER_ACK_WAIT_MS
// (delivery.module.ts); handlers only write rows (no HTTP inside), so the default ack wait is ample.

/** The endpoint view (registry's endpoint events). */
export const EndpointsConsumer = defineConsumer({ stream: 'WEBHOOKS', durable: 'delivery-endpoints', filterSubject: 'webhook.>' });
/** Events of projects' custom types, accepted by the registry (POST /events, PUBLISHED stream). */
export const PublishedEventsConsumer = defineConsumer({ stream: 'WEBHOOKS', durable: 'delivery-published-events', filterSubject: 'webhook.event.published' });
/** Stage entries; the Darwin export may be unavailable for a while: many cheap retries before a dead letter. */
export const StageEnteredConsumer = defineConsumer({ stream: 'WORKFLOW', durable: 'delivery-stage-entered', filterSubject: 'workflow.stage.entered', maxDeliver: 100 });
/** Every other subscribable workflow event (stage left, item completed, definitions). */
export const WorkflowEventsConsumer = defineConsumer({ stream: 'WORKFLOW', durable: 'delivery-workflow-events', filterSubject: 'workflow.>' });
/** Every item event. */
export const ItemEventsConsumer = defineConsumer({ stream: 'ITEMS', durable: 'delivery-item-events', filterSubject: 'item.>' });

/** Stage entries have their own consumer, which also serves their subscribers. */
const WORKFLOW_EVENT_TYPES = SUBSCRIBABLE_EVENT_TYPES.filter((t) => t.startsWith('workflow.') && t !== 'workflow.stage.entered');
/** Every item event in the catalog is subscribable: a type added there is delivered without a change here. */
const ITEM_EVENT_TYPES = Object.keys(EventCatalog).filter((t) => t.startsWith('item.'));

const ENDPOINT_VIEW_EVENTS = [
  'webhook.endpoint.registered',
  'webhook.endpoint.updated',
  'webhook.endpoint.disabled',
  'webhook.endpoint.deleted',
  'webhook.endpoint.secret.rotated',
] as const;
type EndpointViewEvent = { [T in (typeof ENDPOINT_VIEW_EVENTS)[number]]: TypedEvent<T> }[(typeof ENDPOINT_VIEW_EVENTS)[number]];

/**
 * Delivery's durable consumers: the endpoint view, and intake — events become messages with
 * frozen payloads and their first deliveries, many events per transaction (Intake).
 */
@Controller()
export class IntakeHandlers {
  readonly #published: BatchHandler;
  readonly #stageEntered: BatchHandler;
  readonly #workflowEvents: BatchHandler;
  readonly #itemEvents: BatchHandler;

  constructor(
    private readonly intake: Intake,
    private readonly endpoints: EndpointRepository,
    private readonly store: EventStore,
    private readonly host: DispatcherHost,
    @Inject(DeliveryConfig) private readonly config: DeliveryConfig,
  ) {
    this.#published = intake.batch(['webhook.event.published'], (e, scope) => intake.published(e as CloudEvent<'webhook.event.published', EventPublishedData>, scope));
    this.#stageEntered = intake.batch(['workflow.stage.entered'], (e, scope) => intake.stageEntered(e as CloudEvent<'workflow.stage.entered', StageEnteredData>, scope));
    this.#workflowEvents = intake.batch(WORKFLOW_EVENT_TYPES, (e, scope) => intake.subscribable(e, scope));
    // Tag events first update the item tag view that `tags` filters read (Intake.itemTagChanged).
    this.#itemEvents = intake.batch(ITEM_EVENT_TYPES, (e, scope) =>
      e.type === 'item.tag.added' || e.type === 'item.tag.removed' ? intake.itemTagChanged(e as ItemTagEvent, scope) : intake.subscribable(e, scope),
    );
  }

  @OnEvent(EndpointsConsumer, ENDPOINT_VIEW_EVENTS)
  endpointChanged(event: EndpointViewEvent, ctx: HandlerContext): Promise<HandlerOutcome> {
    return applyEndpointEvent(this.endpoints, event, ctx);
  }

  /** The registry's enable is the one enable path: it also ends delivery's own disable. */
  @OnEvent(EndpointsConsumer, 'webhook.endpoint.enabled')
  endpointEnabled(event: TypedEvent<'webhook.endpoint.enabled'>, ctx: HandlerContext): Promise<HandlerOutcome> {
    return applyEndpointEvent(this.endpoints, event, ctx, {
      enabled: async (data, { manager }) => {
        if ((await clearOwnDisable(manager, this.store, this.config.SERVICE_NAME, data)) !== null) this.host.dispatcher.wake();
      },
    });
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

  @OnEventBatch(WorkflowEventsConsumer, WORKFLOW_EVENT_TYPES)
  workflowEvent(items: BatchItem[], ctx: BatchContext): Promise<(HandlerOutcome | undefined)[] | void> {
    return this.#workflowEvents.handle(items, ctx);
  }

  @OnEventBatch(ItemEventsConsumer, ITEM_EVENT_TYPES)
  itemEvent(items: BatchItem[], ctx: BatchContext): Promise<(HandlerOutcome | undefined)[] | void> {
    return this.#itemEvents.handle(items, ctx);
  }
}
