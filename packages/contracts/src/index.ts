import 'reflect-metadata';

export * from './envelope.js';
export * from './streams.js';
export * from './catalog.js';
export * from './create.js';
export * from './validate.js';
export * from './events/common.js';
export * from './events/workflow.js';
export * from './events/items.js';
export * from './events/webhooks.js';
export * from './events/delivery.js';
export * from './events/published.js';
export * from './logger.js';
export * from './rpc/rpc.js';
export * from './rpc/items.js';
export * from './rpc/delivery.js';
export * from './subscriptions.js';
export * from './darwin.js';
