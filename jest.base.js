// Shared jest settings. ESM throughout (NestJS 12 is ESM-only): run jest with
// NODE_OPTIONS=--experimental-vm-modules, strip `.js` from relative imports, keep
// decorator metadata in the SWC transform (class-validator and Nest DI need it).
import { SWC_OPTIONS } from './packages/testing/swc/options.js';

export function jestConfig({ tier }) {
  const pattern = tier === 'unit' ? '\\.unit\\.spec\\.ts$' : '\\.(int|e2e)\\.spec\\.ts$';
  return {
    testEnvironment: 'node',
    extensionsToTreatAsEsm: ['.ts'],
    moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
    testRegex: pattern,
    testPathIgnorePatterns: ['/node_modules/', '/dist/'],
    transform: {
      '^.+\\.ts$': ['@swc/jest', SWC_OPTIONS],
    },
    testTimeout: tier === 'unit' ? 5_000 : 60_000,
    // Integration tests share one PostgreSQL and one NATS: a file at a time per package.
    maxWorkers: tier === 'unit' ? '50%' : 1,
  };
}
