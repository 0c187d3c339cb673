export * from './secret-box.js';
export * from './ssrf.js';
export * from './endpoint-secret.js';
