#!/usr/bin/env node
// The JavaScript the first page load fetches, gzipped: the entry chunk, the chunks it imports
// statically, and the Overview page's lazy chunk with its imports (the route `/` opens).
// Reads Vite's manifest of the last build:  node apps/console/scripts/bundle-size.mjs
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'web');

export function initialRouteJs(route = 'pages/Overview.tsx') {
  const manifest = JSON.parse(readFileSync(join(dist, '.vite', 'manifest.json'), 'utf8'));
  const files = new Set();
  const visit = (key) => {
    const chunk = manifest[key];
    if (!chunk || files.has(chunk.file)) return;
    files.add(chunk.file);
    for (const dep of chunk.imports ?? []) visit(dep);
  };
  visit('index.html');
  visit(route);
  let raw = 0;
  let gzip = 0;
  for (const file of files) {
    const bytes = readFileSync(join(dist, file));
    raw += bytes.length;
    gzip += gzipSync(bytes, { level: 9 }).length;
  }
  return { files: [...files], raw, gzip };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { files, raw, gzip } = initialRouteJs();
  console.log(`initial route JS: ${(gzip / 1024).toFixed(1)} kB gzipped (${(raw / 1024).toFixed(1)} kB raw) in ${files.length} files`);
}
