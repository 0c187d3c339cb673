import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const webRoot = fileURLToPath(new URL('./src/web', import.meta.url));

// `npm run dev -w @stagehook/console` proxies /api to a running console (CONSOLE_URL, default :3000).
export default defineConfig({
  root: webRoot,
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('./dist/web', import.meta.url)),
    emptyOutDir: true,
    sourcemap: true,
    // Read by scripts/bundle-size.mjs to sum what the first page load needs.
    manifest: true,
    chunkSizeWarningLimit: 600,
  },
  server: { proxy: { '/api': process.env.CONSOLE_URL ?? 'http://127.0.0.1:3000' } },
});
