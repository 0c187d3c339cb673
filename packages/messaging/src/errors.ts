/**
 * PostgreSQL SQLSTATEs that say "the database is unreachable or going away", not "this statement
 * is wrong": connection exceptions (08…), shutdown and start-up (57P01–57P03), and out of
 * resources such as too many connections (53…).
 */
const TRANSIENT_SQLSTATE = /^(08|53|57P0[123])/;

const TRANSIENT_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND']);

const TRANSIENT_MESSAGES = [
  /connection terminated/i,
  /connection (is )?(closed|lost|not established)/i,
  /not queryable/i,
  /timeout exceeded when trying to connect/i,
  /terminating connection/i,
  /the database system is (starting up|shutting down|in recovery mode)/i,
  /is not currently accepting connections/i,
];

/**
 * Another service (or any dependency a handler needs) did not answer. A handler that throws it —
 * from `prepare` or from inside its transaction — has its message held and retried in place with
 * backoff until the dependency is back: an outage never spends the message's deliveries and never
 * dead-letters good work.
 */
export class DependencyUnavailableError extends Error {
  constructor(
    readonly dependency: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${dependency} is unavailable: ${detail}`, options);
    this.name = 'DependencyUnavailableError';
  }
}

/**
 * True when an error comes from the infrastructure being unavailable (database down or
 * restarting), so the work should be retried in place rather than counted as a failed delivery.
 */
export function isTransientInfraError(err: unknown, depth = 0): boolean {
  if (depth > 4 || typeof err !== 'object' || err === null) return false;
  if (err instanceof DependencyUnavailableError) return true;
  const e = err as { code?: unknown; message?: unknown; driverError?: unknown; cause?: unknown };
  if (typeof e.code === 'string' && (TRANSIENT_SQLSTATE.test(e.code) || TRANSIENT_NODE_CODES.has(e.code))) return true;
  if (typeof e.message === 'string' && TRANSIENT_MESSAGES.some((re) => re.test(e.message as string))) return true;
  return isTransientInfraError(e.driverError, depth + 1) || isTransientInfraError(e.cause, depth + 1);
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'string') return err;
  try {
    return JSON.stringify(err);
  } catch {
    return String(err);
  }
}
