export * from './database.js';
export * from './env.js';
export * from './names.js';
export * from './nats.js';
export * from './receiver.js';
export * from './until.js';
export * from './log-capture.js';
export * from './swc.js';
