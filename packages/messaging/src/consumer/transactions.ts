import type { QueryRunner } from 'typeorm';
import { errorMessage, isTransientInfraError } from '../errors.js';
import { Outcome, type AnyEventHandler, type BatchHandler, type HandlerContext, type HandlerOutcome } from '../handlers.js';
import { HandledEventRepository } from '../repositories.js';
import type { ConsumerContext } from './context.js';
import { watchFailedStatements, type FailedStatements } from './failed-statements.js';
import { traceBatch, traceHandler } from './tracing.js';
import type { RunnerMsg } from './message.js';
import type { EventDelivery } from './routing.js';

/** How one try of a handler ended. */
export type Attempt =
  | { kind: 'duplicate' }
  | { kind: 'skipped' }
  | { kind: 'ack' }
  | { kind: 'retry'; delayMs?: number; reason: string }
  | { kind: 'dead-letter'; reason: string }
  | { kind: 'failed'; error: unknown };

/** One try: claim, handler, commit. Throws only for infrastructure errors (retried in place). */
export function attemptOne(ctx: ConsumerContext, d: EventDelivery, handler: AnyEventHandler): Promise<Attempt> {
  return inTransaction(ctx, async (qr, failed): Promise<Attempt> => {
    const claimed = await new HandledEventRepository(qr.manager).claim(ctx.consumer, d.event.id);
    if (!claimed) {
      await qr.rollbackTransaction();
      return { kind: 'duplicate' };
    }
    let outcome: HandlerOutcome | undefined;
    try {
      outcome = (await traceHandler(ctx.consumer, d.event, async () => handler(d.event, { ...handlerContext(ctx, qr, d.msg), prepared: d.prepared }))) ?? undefined;
    } catch (err) {
      if (isTransientInfraError(err)) throw err;
      await rollbackQuietly(qr);
      return { kind: 'failed', error: err };
    }
    if (outcome && outcome.kind !== 'ack') {
      await rollbackQuietly(qr);
      return outcome;
    }
    const aborted = await abortedTransaction(qr, failed);
    if (aborted) {
      await rollbackQuietly(qr);
      return { kind: 'failed', error: aborted };
    }
    // If COMMIT's reply is lost the outcome is unknown; the retry claims again and, if the
    // commit did happen, sees a duplicate and acks.
    await qr.commitTransaction();
    return { kind: 'ack' };
  });
}

/**
 * One transaction for many events: claims in one statement, the batch handler, the claims of
 * events it did not ack taken back, commit. Throws for the caller (GroupCommit) to try each
 * event alone; an event alone whose handler fails for good is a failed delivery, as with
 * single handlers.
 */
export async function attemptBatch(ctx: ConsumerContext, batch: BatchHandler, ds: EventDelivery[]): Promise<Attempt[]> {
  const after: AfterCommit = { committed: [], otherwise: [] };
  try {
    return await inTransaction(ctx, (qr, failed) => batchInTransaction(ctx, batch, ds, qr, failed, after));
  } finally {
    // Emptied at the commit: what is left belongs to a transaction that ended (rolled back, its
    // connection released) without committing, or whose COMMIT's outcome is unknown.
    runCallbacks(ctx, after.otherwise, 'a callback for a batch not committed');
  }
}

/** What a batch handler asked to run after its transaction: once committed, or otherwise. */
interface AfterCommit {
  committed: (() => void)[];
  otherwise: (() => void)[];
}

/** attemptBatch's work inside its transaction, begun on `qr`. */
async function batchInTransaction(
  ctx: ConsumerContext,
  batch: BatchHandler,
  ds: EventDelivery[],
  qr: QueryRunner,
  failed: FailedStatements,
  after: AfterCommit,
): Promise<Attempt[]> {
  // A handler failing for good fails its event when it is alone; in a batch, every event is
  // then tried alone.
  const failAlone = async (err: unknown): Promise<Attempt[]> => {
    if (ds.length > 1) throw err;
    await rollbackQuietly(qr);
    return [{ kind: 'failed', error: err }];
  };
  const handled = new HandledEventRepository(qr.manager);
  const claimed = await handled.claimMany(
    ctx.consumer,
    ds.map((d) => d.event.id),
  );
  // An id twice in one batch (a republished copy) is handled once: the first occurrence.
  const fresh = ds.filter((d) => claimed.delete(d.event.id));
  let outcomes: (HandlerOutcome | undefined)[] = [];
  if (fresh.length > 0) {
    try {
      outcomes =
        (await traceBatch(
          ctx.consumer,
          fresh.map((d) => d.event),
          () =>
            batch.handle(
              fresh.map((d) => ({ event: d.event, prepared: d.prepared, deliveryCount: d.msg.info.deliveryCount, streamSequence: d.msg.seq, subject: d.msg.subject })),
              {
                manager: qr.manager,
                consumer: ctx.consumer,
                maxDeliver: ctx.maxDeliver(),
                logger: ctx.log,
                afterCommit: (fn, otherwise) => {
                  after.committed.push(fn);
                  if (otherwise) after.otherwise.push(otherwise);
                },
              },
            ),
        )) ?? fresh.map(() => undefined);
    } catch (err) {
      if (isTransientInfraError(err)) throw err;
      return failAlone(err);
    }
    if (outcomes.length !== fresh.length) throw new Error(`batch handler returned ${outcomes.length} outcomes for ${fresh.length} events`);
    const aborted = await abortedTransaction(qr, failed);
    if (aborted) return failAlone(aborted);
  }
  const byId = new Map<string, HandlerOutcome>(fresh.map((d, i) => [d.event.id, outcomes[i] ?? Outcome.ack()]));
  await handled.unclaim(
    ctx.consumer,
    [...byId].filter(([, o]) => o.kind !== 'ack').map(([id]) => id),
  );
  await qr.commitTransaction();
  after.otherwise.length = 0;
  runCallbacks(ctx, after.committed, 'an after-commit callback');
  const seen = new Set<string>();
  return ds.map((d): Attempt => {
    const o = byId.get(d.event.id);
    if (!o || seen.has(d.event.id)) return { kind: 'duplicate' };
    seen.add(d.event.id);
    return o;
  });
}

function runCallbacks(ctx: ConsumerContext, fns: (() => void)[], what: string): void {
  for (const fn of fns.splice(0)) {
    try {
      fn();
    } catch (err) {
      ctx.log.error({ consumer: ctx.consumer, err: errorMessage(err) }, `messaging: ${what} failed`);
    }
  }
}

/**
 * `fn` inside a transaction on its own connection, rolled back if it throws; `failed` watches
 * the connection's statements for one that failed.
 */
async function inTransaction<T>(ctx: ConsumerContext, fn: (qr: QueryRunner, failed: FailedStatements) => Promise<T>): Promise<T> {
  const qr = ctx.options.dataSource.createQueryRunner();
  let failed: FailedStatements | undefined;
  try {
    failed = watchFailedStatements(await qr.connect());
    await qr.startTransaction();
    return await fn(qr, failed);
  } catch (err) {
    await rollbackQuietly(qr);
    throw err;
  } finally {
    failed?.stop();
    await qr.release().catch(() => undefined);
  }
}

/**
 * PostgreSQL answers COMMIT of an aborted transaction (a handler that caught a SQL error and
 * returned normally) with a silent ROLLBACK, and TypeORM does not check: probe first, so an
 * effect that was not committed is never acked. The error to fail with, or null. Only a failed
 * statement aborts a transaction: when none failed (`failed`), nothing is sent.
 *
 * Not the driver's transaction status instead (pg keeps the `E` of each ReadyForQuery): a failed
 * statement rejects on its ErrorResponse, before the ReadyForQuery behind it is read when the two
 * arrive in separate packets, so a handler that swallowed the error can still see `T` (CI caught
 * it). The probe's own reply comes after both.
 */
async function abortedTransaction(qr: QueryRunner, failed: FailedStatements): Promise<Error | null> {
  if (!failed.any) return null;
  try {
    await qr.query('SELECT 1');
    return null;
  } catch (err) {
    if (isTransientInfraError(err)) throw err;
    return new Error(`the handler left its transaction aborted (${errorMessage(err)})`);
  }
}

function handlerContext(ctx: ConsumerContext, qr: QueryRunner, msg: RunnerMsg): HandlerContext {
  return {
    manager: qr.manager,
    consumer: ctx.consumer,
    deliveryCount: msg.info.deliveryCount,
    maxDeliver: ctx.maxDeliver(),
    streamSequence: msg.seq,
    subject: msg.subject,
    logger: ctx.log,
  };
}

async function rollbackQuietly(qr: QueryRunner): Promise<void> {
  if (!qr.isTransactionActive) return;
  try {
    await qr.rollbackTransaction();
  } catch {
    // the connection is gone; PostgreSQL rolls the transaction back itself
  }
}
