import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from '@jest/globals';

const here = dirname(fileURLToPath(import.meta.url));

interface HeaderParam {
  op: string;
  name: string;
  required: boolean;
}

/** The header parameters of a service's OpenAPI document, built as the generator builds it (in a child process, see drift.unit.spec). */
function headerParams(service: string): HeaderParam[] {
  const documents = pathToFileURL(join(here, '..', 'scripts', 'openapi-documents.mjs')).href;
  const script = `
    const { openApiDocument } = await import(${JSON.stringify(documents)});
    const doc = await openApiDocument(${JSON.stringify(service)});
    const out = [];
    for (const [path, ops] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(ops))
        for (const p of op.parameters ?? []) if (p.in === 'header') out.push({ op: method + ' ' + path, name: p.name, required: p.required ?? false });
    process.stdout.write(JSON.stringify(out));`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
  if (run.status !== 0) throw new Error(run.stderr);
  return JSON.parse(run.stdout) as HeaderParam[];
}

describe('OpenAPI headers', () => {
  // apps/workflow parseIfMatch: an absent If-Match means "no precondition". Nest's explorer
  // documented the `@Headers('if-match')` parameter as required beside the optional `If-Match`
  // of @ApiHeader, so every generated call had to send one.
  it('documents If-Match once per operation, as the optional header the workflow service treats it as', () => {
    const headers = headerParams('workflow');
    expect(headers.length).toBeGreaterThan(0);
    expect(headers.filter((h) => h.name.toLowerCase() !== 'if-match')).toEqual([]);
    expect(headers.filter((h) => h.required)).toEqual([]);
    expect(new Set(headers.map((h) => h.op)).size).toBe(headers.length);
  }, 60_000);
});
