import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

// Component tests: happy-dom, Testing Library, src/web/**/*.unit.spec.tsx.
export default defineConfig({
  root: fileURLToPath(new URL('./src/web', import.meta.url)),
  plugins: [react()],
  test: {
    environment: 'happy-dom',
    include: ['**/*.unit.spec.{ts,tsx}'],
    globals: false,
  },
});
