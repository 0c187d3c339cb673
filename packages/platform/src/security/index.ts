export * from './secret-box.js';
export * from './ssrf.js';
