import { parseArgs } from 'node:util';
import { MIN_TOKEN_SECRET_LENGTH } from '../config/base-config.js';
import { EnvList, Secret } from '../config/env-decorators.js';
import { ConfigValidationError, type Env, loadConfig } from '../config/load-config.js';
import { mintProjectToken } from './token.js';

/** Only what minting needs: a developer should not have to set DATABASE_URL to get a token. */
export class TokenCliConfig {
  @Secret()
  @EnvList({ minItems: 1, itemMinLength: MIN_TOKEN_SECRET_LENGTH })
  AUTH_TOKEN_SECRETS!: string[];
}

export const DEFAULT_TOKEN_TTL_SECONDS = 3600;
/** A year: long-lived tokens are for development and integrations; rotate keys to revoke. */
export const MAX_TOKEN_TTL_SECONDS = 365 * 24 * 3600;

const USAGE = 'usage: mint-token --project <id> [--user <id> | --service <id>] [--name <full name>] [--email <email>] [--ttl <seconds>] [--kid <key id>] [--scope <name>]...';

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

/** The CLI without the process around it; returns the exit code. */
export function runMintTokenCli(argv: string[], env: Env, io: CliIo, now = new Date()): number {
  let values: { project?: string; scope?: string[]; ttl?: string; kid?: string; user?: string; service?: string; name?: string; email?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        project: { type: 'string' },
        ttl: { type: 'string' },
        scope: { type: 'string', multiple: true },
        kid: { type: 'string' },
        user: { type: 'string' },
        service: { type: 'string' },
        name: { type: 'string' },
        email: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (e) {
    io.err(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  if (!values.project) {
    io.err(`--project is required\n${USAGE}`);
    return 2;
  }
  if (values.user !== undefined && values.service !== undefined) {
    io.err(`give --user or --service, not both\n${USAGE}`);
    return 2;
  }
  const actorId = values.user ?? values.service;
  if (actorId === undefined && (values.name !== undefined || values.email !== undefined)) {
    io.err(`--name and --email describe a --user or --service\n${USAGE}`);
    return 2;
  }
  const actor =
    actorId === undefined
      ? undefined
      : {
          kind: values.user !== undefined ? ('user' as const) : ('service' as const),
          id: actorId,
          ...(values.name ? { name: values.name } : {}),
          ...(values.email ? { email: values.email } : {}),
        };
  const ttl = values.ttl === undefined ? DEFAULT_TOKEN_TTL_SECONDS : /^\d+$/.test(values.ttl) ? Number(values.ttl) : NaN;
  if (!Number.isInteger(ttl) || ttl <= 0 || ttl > MAX_TOKEN_TTL_SECONDS) {
    io.err(`--ttl must be a whole number of seconds between 1 and ${MAX_TOKEN_TTL_SECONDS}`);
    return 2;
  }
  let config: TokenCliConfig;
  try {
    config = loadConfig(TokenCliConfig, env);
  } catch (e) {
    io.err(e instanceof ConfigValidationError ? e.message : String(e));
    return 2;
  }
  try {
    io.out(
      mintProjectToken({
        projectId: values.project,
        secret: config.AUTH_TOKEN_SECRETS[0],
        ttlSeconds: ttl,
        kid: values.kid,
        now,
        ...(actor ? { actor } : {}),
        ...(values.scope?.length ? { scopes: values.scope } : {}),
      }),
    );
    return 0;
  } catch (e) {
    io.err((e as Error).message);
    return 2;
  }
}
