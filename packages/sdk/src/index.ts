export * from './client.js';
export * from './views.js';
export type * as WorkflowApi from './generated/workflow.js';
export type * as ItemsApi from './generated/items.js';
export type * as WebhooksApi from './generated/webhooks.js';
export type * as DeliveryApi from './generated/delivery.js';
export type { components as WebhooksComponents } from './generated/webhooks.js';
