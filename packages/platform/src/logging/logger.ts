import { pino, type DestinationStream, type Level, type Logger } from 'pino';
import type { StructuredLogger } from '@stagehook/contracts';

export type { Logger } from 'pino';

/** Injection token of the service's pino logger. */
export const LOGGER = 'STAGEHOOK_LOGGER';

/** Keys whose values never reach a log line, matched case-insensitively at any depth. */
export const REDACTED_KEYS = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'apiKey',
  'secret',
  'secrets',
  'password',
  'token',
  'accessToken',
  'signingSecret',
  'signingSecrets',
  'authHeader',
] as const;

export const CENSOR = '[redacted]';

/** How deep `scrubSecrets` looks; log objects are shallow, and this bounds a cyclic one. */
export const SCRUB_DEPTH = 10;

const SENSITIVE = new Set(REDACTED_KEYS.map((k) => k.toLowerCase()));

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Returns `value` with every sensitive key's value replaced, copying only the objects on the way
 * to one (log objects are shared with the caller and must not be mutated). Errors are copied with
 * their prototype, message and stack, so pino's error serializer still recognises them.
 */
export function scrubSecrets(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object' || depth > SCRUB_DEPTH) return value;
  if (Array.isArray(value)) {
    const items: unknown[] = value;
    let out: unknown[] | undefined;
    items.forEach((item, i) => {
      const next = scrubSecrets(item, depth + 1);
      if (next !== item) (out ??= [...items])[i] = next;
    });
    return out ?? value;
  }
  const error = value instanceof Error ? value : undefined;
  // Buffers, Dates, Maps, class instances: serialised by their own rules, not walked.
  if (!error && !isPlainObject(value)) return value;
  const source = value as Record<string, unknown>;
  let out: Record<string, unknown> | undefined;
  for (const key of Object.keys(source)) {
    const current = source[key];
    const next = SENSITIVE.has(key.toLowerCase()) ? CENSOR : scrubSecrets(current, depth + 1);
    if (next === current) continue;
    if (!out) {
      out = error ? (Object.create(Object.getPrototypeOf(error) as object) as Record<string, unknown>) : {};
      // message, stack and cause are not enumerable: carried over by hand.
      if (error) Object.assign(out, { message: error.message, stack: error.stack, ...(error.cause !== undefined ? { cause: scrubSecrets(error.cause, depth + 1) } : {}) });
      Object.assign(out, source);
    }
    out[key] = next;
  }
  return out ?? value;
}

/**
 * pino's own redaction for the well-known places (compiled, near free), including header names
 * whatever their case. Wildcard paths are not used: at the depths we need they cost 20–100 µs a
 * line, where `scrubSecrets` (run on every line as well) costs about one.
 */
export function redactPaths(): string[] {
  const keys = REDACTED_KEYS.flatMap((k) => [k, k.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase())]);
  const uniq = [...new Set(keys)].map((k) => (/^[A-Za-z_$][\w$]*$/.test(k) ? `.${k}` : `["${k}"]`));
  const containers = ['', 'headers', 'req.headers', 'request.headers', 'res.headers', 'response.headers'];
  return containers.flatMap((c) => uniq.map((k) => (c ? `${c}${k}` : k.startsWith('.') ? k.slice(1) : k)));
}

export interface CreateLoggerOptions {
  service: string;
  level?: Level | 'silent';
  /** Where lines go; stdout by default. Tests pass a stream to read what was logged. */
  destination?: DestinationStream;
}

/** The service's JSON logger. It satisfies `StructuredLogger`, so packages take it as is. */
export function createLogger({ service, level = 'info', destination }: CreateLoggerOptions): Logger {
  const options = {
    level,
    base: { service },
    messageKey: 'msg',
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: redactPaths(), censor: CENSOR },
    serializers: { err: pino.stdSerializers.err },
    formatters: {
      // Log aggregators key on a level name; a number needs a lookup table.
      level: (label: string) => ({ level: label }),
      // Runs before serializers and pino's redaction: catches secrets at any depth and key case.
      log: (obj: Record<string, unknown>) => scrubSecrets(obj) as Record<string, unknown>,
    },
  };
  const logger = destination ? pino(options, destination) : pino(options);
  // pino serialises child bindings once, without `formatters.log`. Children are created with
  // Object.create(parent), so they (and theirs) inherit this scrubbing `child` too.
  const pinoChild = logger.child;
  logger.child = function scrubbingChild(this: Logger, bindings: Record<string, unknown>, opts?: object) {
    return pinoChild.call(this, scrubSecrets(bindings) as Record<string, unknown>, opts);
  } as Logger['child'];
  const structured: StructuredLogger = logger;
  void structured;
  return logger;
}
