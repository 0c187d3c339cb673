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
}

/** An event of a catalog type, validated and upcast to the catalog's current schema version. */
export type TypedEvent<T extends EventType> = CloudEvent<T, EventData<T>>;

/** Returning nothing acks. Throwing is a retry, until the last delivery dead-letters it. */
export type EventHandler<T extends EventType> = (
  event: TypedEvent<T>,
  ctx: HandlerContext,
) => HandlerOutcome | void | Promise<HandlerOutcome | void>;

/** Handlers by event type; types without one are acked and skipped. */
export type EventHandlers = { readonly [T in EventType]?: EventHandler<T> };

/** Types a handler map by the catalog, with contextual event types and no unknown keys. */
export function defineHandlers(handlers: EventHandlers): EventHandlers {
  return handlers;
}

/** The handler signature the runner calls, once the event type has been checked. */
export type AnyEventHandler = (event: CloudEvent, ctx: HandlerContext) => HandlerOutcome | void | Promise<HandlerOutcome | void>;

export function handlerFor(handlers: EventHandlers, type: string): AnyEventHandler | undefined {
  return Object.prototype.hasOwnProperty.call(handlers, type)
    ? (handlers[type as EventType] as AnyEventHandler | undefined)
    : undefined;
}
