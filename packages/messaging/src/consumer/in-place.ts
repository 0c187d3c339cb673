import { errorMessage } from '../errors.js';
import { exponentialBackoff, sleep } from '../sleep.js';
import type { ConsumerContext } from './context.js';

/** How a step retried in place ended. */
export type InPlace<T> =
  | { ok: true; value: T }
  /** Shutdown or a closed NATS connection: hand the message back. */
  | { ok: false; gaveUp: true; error: unknown }
  /** A failure that is not an outage and persisted: the caller decides, never retried forever. */
  | { ok: false; gaveUp: false; error: unknown };

/** Tries for a failure that does not look like an outage (deadlocks, unclassified errors). */
const PERMANENT_TRIES = 3;

/**
 * Retries `fn` in place while the database or NATS is unavailable, with backoff. The message
 * stays held (in-progress acks continue), so an outage does not spend its deliveries or reorder
 * its key. Other failures get a few tries and are returned, so one bad message never holds its
 * key (or, at concurrency 1, the consumer) forever. Gives up when the drain times out or the
 * NATS connection is closed for good.
 */
export async function retryInPlace<T>(ctx: ConsumerContext, stage: string, fn: () => Promise<T>, isTransient: (err: unknown) => boolean): Promise<InPlace<T>> {
  for (let attempt = 1; ; attempt++) {
    try {
      return { ok: true, value: await fn() };
    } catch (err) {
      ctx.metrics?.infraErrors.inc({ consumer: ctx.consumer, stage });
      if (ctx.hardStop.aborted || ctx.options.nats.isClosed()) {
        ctx.log.error({ consumer: ctx.consumer, stage, err: errorMessage(err) }, 'messaging: giving up on a message during shutdown');
        return { ok: false, gaveUp: true, error: err };
      }
      if (!isTransient(err) && attempt >= PERMANENT_TRIES) return { ok: false, gaveUp: false, error: err };
      const wait = exponentialBackoff(attempt, 100, 5_000);
      const log = { consumer: ctx.consumer, stage, attempt, retryInMs: wait, err: errorMessage(err) };
      if (attempt > 3) ctx.log.error(log, 'messaging: infrastructure error, retrying');
      else ctx.log.warn(log, 'messaging: infrastructure error, retrying');
      await sleep(wait, ctx.hardStop);
    }
  }
}
