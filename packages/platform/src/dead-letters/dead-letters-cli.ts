import { parseArgs } from 'node:util';
import type { CliIo } from '../auth/mint-token-cli.js';
import { mintProjectToken } from '../auth/token.js';
import type { Env } from '../config/load-config.js';

const USAGE = `usage: dead-letters <command> [options]
  list    [--consumer <name>] [--reason <text>] [--unresolved] [--before <id>] [--limit <n>]
  show    <id>
  replay  <id>
  replay  --all [--consumer <name>] [--reason <text>] [--limit <n>]
options:
  --url <service>      the service's base URL (or STAGEHOOK_SERVICE_URL), e.g. http://127.0.0.1:3040
  --token <token>      an operator's project token (or STAGEHOOK_TOKEN), or
  --project <id>       an operator project (one of the service's DEAD_LETTER_OPERATORS) to mint a
                       short token for with AUTH_TOKEN_SECRETS`;

type Fetch = (url: string, init: { method: string; headers: Record<string, string>; body?: string }) => Promise<{ status: number; text(): Promise<string> }>;

/**
 * The dead-letter CLI without the process around it: one HTTP call to a service's
 * `/dead-letters` API, the JSON answer printed. Returns the exit code (1: the service answered an
 * error, 2: bad usage).
 */
export async function runDeadLettersCli(argv: string[], env: Env, io: CliIo, fetchFn: Fetch = fetch): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (e) {
    io.err(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  const [command, id] = positionals;
  const base = (values.url ?? env.STAGEHOOK_SERVICE_URL ?? '').replace(/\/+$/, '');
  if (!base) {
    io.err(`--url is required\n${USAGE}`);
    return 2;
  }
  let token = values.token ?? env.STAGEHOOK_TOKEN;
  if (!token && values.project) {
    const secret = env.AUTH_TOKEN_SECRETS?.split(',')[0]?.trim();
    if (!secret) {
      io.err('--project needs AUTH_TOKEN_SECRETS to mint a token (or give --token)');
      return 2;
    }
    token = mintProjectToken({ projectId: values.project, secret, ttlSeconds: 300 });
  }
  if (!token) {
    io.err(`--token or --project is required\n${USAGE}`);
    return 2;
  }
  let request: { method: string; path: string; body?: unknown };
  const query = new URLSearchParams();
  if (values.consumer) query.set('consumer', values.consumer);
  if (values.reason) query.set('reason', values.reason);
  switch (command) {
    case 'list':
      if (values.unresolved) query.set('unresolved', 'true');
      if (values.before) query.set('beforeId', values.before);
      if (values.limit) query.set('limit', values.limit);
      request = { method: 'GET', path: `/dead-letters${query.size ? `?${query.toString()}` : ''}` };
      break;
    case 'show':
      if (!id) return usage(io, 'show needs a dead letter id');
      request = { method: 'GET', path: `/dead-letters/${encodeURIComponent(id)}` };
      break;
    case 'replay':
      if (values.all) {
        request = {
          method: 'POST',
          path: '/dead-letters/replay',
          body: { consumer: values.consumer, reason: values.reason, limit: values.limit ? Number(values.limit) : undefined },
        };
      } else if (id) {
        request = { method: 'POST', path: `/dead-letters/${encodeURIComponent(id)}/replay` };
      } else {
        return usage(io, 'replay needs a dead letter id, or --all');
      }
      break;
    default:
      return usage(io, command ? `unknown command ${command}` : 'a command is required');
  }
  const res = await fetchFn(`${base}${request.path}`, {
    method: request.method,
    headers: { authorization: `Bearer ${token}`, ...(request.body ? { 'content-type': 'application/json' } : {}) },
    ...(request.body ? { body: JSON.stringify(request.body) } : {}),
  });
  const text = await res.text();
  if (res.status >= 400) {
    io.err(`${request.method} ${request.path}: ${res.status} ${text}`);
    return 1;
  }
  io.out(text);
  return 0;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      url: { type: 'string' },
      token: { type: 'string' },
      project: { type: 'string' },
      consumer: { type: 'string' },
      reason: { type: 'string' },
      unresolved: { type: 'boolean' },
      before: { type: 'string' },
      limit: { type: 'string' },
      all: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

function usage(io: CliIo, message: string): number {
  io.err(`${message}\n${USAGE}`);
  return 2;
}
