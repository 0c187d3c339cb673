import { defineConfig } from 'vitest/config';

// Browser tests: the four services, the console and a receiver as real processes, driven by
// playwright-core through Debian's Chromium. One file at a time, generous timeouts.
export default defineConfig({
  test: {
    environment: 'node',
    include: ['test/**/*.int.spec.ts'],
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 240_000,
  },
});
