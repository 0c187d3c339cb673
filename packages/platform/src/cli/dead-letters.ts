#!/usr/bin/env node
/**
 * Operators' dead-letter tool over a service's HTTP API (see DeadLettersController):
 *   npm run dead-letters -- list --url http://127.0.0.1:3040 --project ops --consumer delivery-stage-entered
 *   npm run dead-letters -- replay --all --url … --project ops --reason "items unavailable"
 */
import { runDeadLettersCli } from '../dead-letters/dead-letters-cli.js';

process.exitCode = await runDeadLettersCli(process.argv.slice(2), process.env, {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
});
