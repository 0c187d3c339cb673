export * from './decider.js';
export * from './event-store.js';
export * from './given.js';
export * from './migrations/index.js';
export * from './projections.js';
export * from './relay.js';
export * from './types.js';
export * from './upcasting.js';
