#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { generateEventTypes, type CatalogueType } from './generate.js';

/**
 * `stagehook-event-types --url http://registry:3030 --project <id>` with the project token in
 * STAGEHOOK_TOKEN: prints the TypeScript of the project's custom event types (see generate.ts).
 */
const { values } = parseArgs({ options: { url: { type: 'string' }, project: { type: 'string' } } });
const token = process.env.STAGEHOOK_TOKEN;
if (!values.url || !values.project || !token) {
  process.stderr.write('usage: STAGEHOOK_TOKEN=<project token> stagehook-event-types --url <registry url> --project <id>\n');
  process.exit(2);
}
const res = await fetch(new URL('/event-types', values.url), { headers: { authorization: `Bearer ${token}` } });
if (!res.ok) {
  process.stderr.write(`GET /event-types answered ${res.status}: ${await res.text()}\n`);
  process.exit(1);
}
const body = (await res.json()) as { data: CatalogueType[] };
process.stdout.write(generateEventTypes(body.data, values.project));
