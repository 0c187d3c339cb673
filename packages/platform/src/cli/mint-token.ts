#!/usr/bin/env node
/**
 * Prints a project token signed with the first AUTH_TOKEN_SECRETS key:
 *   AUTH_TOKEN_SECRETS=... node packages/platform/dist/cli/mint-token.js --project <id> [--ttl <seconds>]
 * Imports only the token and config code, not Nest, so it starts fast.
 */
import 'reflect-metadata';
import { runMintTokenCli } from '../auth/mint-token-cli.js';

process.exitCode = runMintTokenCli(process.argv.slice(2), process.env, {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
});
