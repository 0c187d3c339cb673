import type { CloudEvent, EventData, EventType, StructuredLogger } from '@stagehook/contracts';
import type { EntityManager } from 'typeorm';

/** What a handler decided. Anything but `ack` rolls its transaction back. */
export type HandlerOutcome =
  | { readonly kind: 'ack' }
  /** Try again later: nak with `delayMs` (default: the runner's backoff), counted as a delivery. */
  | { readonly kind: 'retry'; readonly delayMs?: number; readonly reason: string }
  /** Give up now: record a dead letter with `reason` and terminate the message. */
  | { readonly kind: 'dead-letter'; readonly reason: string };

const ACK: HandlerOutcome = Object.freeze({ kind: 'ack' });

export const Outcome = {
  ack: (): HandlerOutcome => ACK,
  retry: (opts: { delayMs?: number; reason: string }): HandlerOutcome => ({ kind: 'retry', ...opts }),
  deadLetter: (reason: string): HandlerOutcome => ({ kind: 'dead-letter', reason }),
} as const;

export interface HandlerContext {
  /**
   * The transaction the idempotency record is written in. The handler writes its effect through
   * it, so the effect and the record commit together, or neither does.
   */
  manager: EntityManager;
  /** The consumer's logical name. */
  consumer: string;
  /** 1 on the first delivery. */
  deliveryCount: number;
  /** The delivery after which a failure is dead-lettered. */
  maxDeliver: number;
  streamSequence: number;
  subject: string;
  logger: StructuredLogger;
  /** What the handler's `prepare` returned (see `prepared`); undefined without one. */
  prepared?: unknown;
}

/** An event of a catalog type, validated and upcast to the catalog's current schema version. */
export type TypedEvent<T extends EventType> = CloudEvent<T, EventData<T>>;

/**
 * An event of any of the types `T`: for a catalog type, typed by the catalog (a switch on `type`
 * narrows `data`); for another (a custom published type), a plain CloudEvent of that type.
 */
export type BatchEvent<T extends string> = T extends EventType ? TypedEvent<T> : CloudEvent<T>;

/** Returning nothing acks. Throwing is a retry, until the last delivery dead-letters it. */
export type EventHandler<T extends EventType> = (event: TypedEvent<T>, ctx: HandlerContext) => HandlerOutcome | void | Promise<HandlerOutcome | void>;

/**
 * A handler in two phases. `prepare` runs before the consumer's transaction opens: requests to
 * other services belong there, since a NATS request inside an open transaction would hold the
 * relay's horizon back for the whole database while it waits. It may read but must not write.
 * Throwing a DependencyUnavailableError (RpcUnavailableError is one) holds the message and tries
 * again in place until the dependency answers, without spending a delivery. `handle` runs in the
 * transaction with what `prepare` returned.
 */
export interface PreparedHandler<T extends EventType, P> {
  prepare(event: TypedEvent<T>): Promise<P>;
  handle(event: TypedEvent<T>, ctx: HandlerContext & { prepared: P }): HandlerOutcome | void | Promise<HandlerOutcome | void>;
}

/**
 * What a `prepare` returns for an event that needs nothing of its consumer, found on a read (no
 * endpoint subscribes to it, say) where `relevant` looks at the event alone: the runner acks it
 * at once, without a transaction or an idempotency record, and counts it as skipped. A read
 * that goes stale before the ack decides as the same read inside a transaction would have.
 */
export const NothingToDo: unique symbol = Symbol('stagehook.messaging.nothing-to-do');

/** What the runner reads off a handler made by `prepared`. */
export type Prepare = (event: CloudEvent) => Promise<unknown>;

const PREPARE = Symbol('stagehook.prepare');

/** An EventHandler whose `prepare` the runner calls before opening the transaction. */
export function prepared<T extends EventType, P>(h: PreparedHandler<T, P>): EventHandler<T> {
  const handler: EventHandler<T> = (event, ctx) => h.handle(event, { ...ctx, prepared: ctx.prepared as P });
  // The runner calls prepare only with events it routed to this handler's type.
  const prepare: Prepare = (event) => h.prepare(event as TypedEvent<T>);
  return Object.assign(handler, { [PREPARE]: prepare });
}

/** A handler of any type with a `prepare` step (the JetStream transport's `PrepareEvent` methods). */
export function withPrepare(handler: AnyEventHandler, prepare: Prepare): AnyEventHandler {
  const wrapped: AnyEventHandler = (event, ctx) => handler(event, ctx);
  return Object.assign(wrapped, { [PREPARE]: prepare });
}

export function prepareOf(handler: unknown): Prepare | undefined {
  return typeof handler === 'function' ? (handler as { [PREPARE]?: Prepare })[PREPARE] : undefined;
}

/** One event of a batch, with what its message says about its delivery. */
export interface BatchItem<E extends CloudEvent = CloudEvent> {
  /** Only of the batch handler's types (the runner routes nothing else to it), validated and upcast. */
  event: E;
  /** What the batch handler's `prepare` returned for this event; undefined without one. */
  prepared?: unknown;
  /** 1 on the first delivery. */
  deliveryCount: number;
  streamSequence: number;
  subject: string;
}

export interface BatchContext extends Pick<HandlerContext, 'manager' | 'consumer' | 'maxDeliver' | 'logger'> {
  /**
   * Runs `fn` once the batch's transaction has committed: to wake what reads its rows. Exactly one
   * of `fn` and `otherwise` runs: `otherwise` once the transaction has ended without committing
   * (the handler threw, the batch was rolled back to try its events alone), to give back what was
   * set aside for the rows that were not written. A COMMIT that fails also runs `otherwise`,
   * though its outcome is unknown (the connection dropped after it was sent): the rows may be
   * committed, which `otherwise` must allow for.
   */
  afterCommit(fn: () => void, otherwise?: () => void): void;
}

/**
 * Handles many events of its types in one transaction: for consumers whose per-event work is a
 * few statements, so that the round trips, not the work, would set the pace. The runner claims
 * the events' idempotency records in one statement and calls `handle` with the events not handled
 * before (never two of one key: per-aggregate order holds as for single handlers).
 *
 * `handle` returns an outcome per event, in order (undefined means ack), or nothing when it acks
 * them all. It must write effects only
 * for the events it acks: the others' idempotency records are removed before the commit, and the
 * acked events' effects commit with theirs. Throwing rolls the batch back; each event is then
 * tried again alone, so one bad event cannot fail the others.
 */
export interface BatchHandler<E extends CloudEvent = CloudEvent> {
  types: readonly E['type'][];
  /** Runs per event before the batch's transaction opens; see PreparedHandler for the rules. */
  prepare?(event: E): Promise<unknown>;
  handle(items: BatchItem<E>[], ctx: BatchContext): Promise<(HandlerOutcome | undefined)[] | void>;
  /** Events in one transaction at most. Default 100. */
  maxBatch?: number;
  /** Batch transactions at once. Default 2. */
  parallel?: number;
}

/**
 * A batch handler's per-event work, side by side (its statements queue on the batch's one
 * connection): every event's work settles before this returns or throws the first failure, since
 * a statement still in flight after the batch rolled back would run outside its transaction. The
 * runner then tries each event alone, so one bad event never fails the others.
 */
export async function settleEach<T, R>(items: readonly T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const settled = await Promise.allSettled(items.map(work));
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<R>).value);
}

/** Handlers by event type; types without one are acked and skipped. */
export type EventHandlers = { readonly [T in EventType]?: EventHandler<T> };

/** Types a handler map by the catalog, with contextual event types and no unknown keys. */
export function defineHandlers(handlers: EventHandlers): EventHandlers {
  return handlers;
}

/** The handler signature the runner calls, once the event type has been checked. */
export type AnyEventHandler = (event: CloudEvent, ctx: HandlerContext) => HandlerOutcome | void | Promise<HandlerOutcome | void>;

export function handlerFor(handlers: EventHandlers, type: string): AnyEventHandler | undefined {
  return Object.prototype.hasOwnProperty.call(handlers, type) ? (handlers[type as EventType] as AnyEventHandler | undefined) : undefined;
}
