export * from './outbox.js';
export * from './relay.js';
export * from './generate.js';
