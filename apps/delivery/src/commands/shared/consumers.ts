import { EventCatalog, SUBSCRIBABLE_EVENT_TYPES } from '@stagehook/contracts';
import { defineConsumer } from '@stagehook/messaging';

// WIRE NAMES: the durables below (JetStream durable, msg_handled.consumer, deadletter.<name>).
// Concurrency and ack wait come from CONSUMER_CONCURRENCY / CONSUMER_ACK_WAIT_MS
// (delivery.module.ts); handlers only write rows (no HTTP inside), so the default ack wait is ample.
// A consumer's handlers may sit in several use cases' consumer classes: each imports its declaration from here.

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
export const WORKFLOW_EVENT_TYPES = SUBSCRIBABLE_EVENT_TYPES.filter((t) => t.startsWith('workflow.') && t !== 'workflow.stage.entered');
/** Every item event in the catalog is subscribable: a type added there is delivered without a change here. */
export const ITEM_EVENT_TYPES = Object.keys(EventCatalog).filter((t) => t.startsWith('item.'));
