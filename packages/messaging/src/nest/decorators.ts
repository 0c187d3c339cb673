import { UseFilters } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import type { CloudEvent, EventType } from '@stagehook/contracts';
import type { BatchContext, BatchEvent, BatchItem, HandlerContext, HandlerOutcome, TypedEvent } from '../handlers.js';
import type { ConsumerRunnerOptions } from '../consumer/options.js';
import { RpcErrorPassthrough } from './error-passthrough.filter.js';

/** The transport's id: handlers declared with the decorators below are served by it alone. */
export const JETSTREAM_TRANSPORT = Symbol.for('stagehook.jetstream');

/**
 * One durable consumer: what ConsumerRunnerOptions says about the consumer itself. The transport
 * adds the connections, logger and metrics, and the handlers are the methods decorated with it.
 */
export type ConsumerDeclaration = Omit<ConsumerRunnerOptions, 'dataSource' | 'nats' | 'namespace' | 'handlers' | 'batch' | 'foreign' | 'logger' | 'metrics'> & {
  /**
   * For a stream of types outside the catalog (see ConsumerRunnerOptions.foreign): the type a
   * subject's events must carry. Its handler is declared with `OnAnyEvent`.
   */
  foreignTypeOfSubject?: (subjectType: string) => string | undefined;
  /** Batch handler sizing (see BatchHandler). */
  maxBatch?: number;
  parallel?: number;
};

/** A consumer declaration, typed; WIRE NAMES (durable, filter) are fixed at the call. */
export function defineConsumer<const D extends ConsumerDeclaration>(d: D): D {
  return d;
}

/** What a pattern of this transport says: the consumer, and which of its handlers. */
export type JetStreamPattern = { consumer: string; type: string } | { consumer: string; batch: string } | { consumer: string; prepare: string } | { consumer: string; any: true };

/** Extras on every handler of this transport: the declaration of its consumer. */
export interface JetStreamExtras {
  consumer: ConsumerDeclaration;
}

type Returned<T> = T | void | Promise<T | void>;

/**
 * The context a handler method may declare: a HandlerContext whose `prepared` it types as what
 * its `PrepareEvent` method returns (the runner hands that value on; nothing checks it twice).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above: the method narrows it.
type MethodContext = Omit<HandlerContext, 'prepared'> & { prepared: any };

function declare(consumer: ConsumerDeclaration, pattern: JetStreamPattern | JetStreamPattern[]): MethodDecorator {
  const extras: JetStreamExtras = { consumer };
  return (target, key, descriptor) => {
    EventPattern(pattern, JETSTREAM_TRANSPORT, extras)(target, key, descriptor);
    // Nest passes a microservice handler only its payload unless told otherwise: the event (or
    // batch) first, the runner's context second, without a parameter decorator on every method.
    Payload()(target, key, 0);
    Ctx()(target, key, 1);
    // Nest's default RPC filter would turn a thrown error into 'Internal server error', and the
    // runner tells an outage from a bug by the error itself (see RpcErrorPassthrough).
    UseFilters(RpcErrorPassthrough)(target, key, descriptor);
  };
}

/**
 * The method handles events of `type` (or of each of several types) from `consumer`, in the
 * transaction that records the event as handled (`ctx.manager`): returning nothing acks,
 * `Outcome.retry` / `Outcome.deadLetter` say otherwise, throwing retries until the last delivery
 * dead-letters it.
 */
export function OnEvent<T extends EventType>(consumer: ConsumerDeclaration, type: T | readonly T[]) {
  return <M extends (event: TypedEvent<T>, ctx: MethodContext) => Returned<HandlerOutcome>>(target: object, key: string | symbol, descriptor: TypedPropertyDescriptor<M>): void => {
    declare(
      consumer,
      [type].flat().map((t) => ({ consumer: consumer.durable, type: t })),
    )(target, key, descriptor);
  };
}

/**
 * The method handles many events of `types` in one transaction (see BatchHandler); its items are
 * typed by them (`BatchItem<BatchEvent<T>>`), so a switch on `item.event.type` narrows the data.
 */
export function OnEventBatch<T extends string>(consumer: ConsumerDeclaration, types: readonly T[]) {
  return <M extends (items: BatchItem<BatchEvent<T>>[], ctx: BatchContext) => Promise<(HandlerOutcome | undefined)[] | void>>(
    target: object,
    key: string | symbol,
    descriptor: TypedPropertyDescriptor<M>,
  ): void => {
    declare(consumer, { consumer: consumer.durable, batch: types.join(' ') })(target, key, descriptor);
  };
}

/**
 * The method runs before the transaction of `consumer`'s handler of `type` opens ('batch' for its
 * batch handler) and its result reaches the handler as `prepared`: requests to other services
 * belong here (see PreparedHandler for the rules).
 */
export function PrepareEvent(consumer: ConsumerDeclaration, type: EventType | 'batch' | readonly EventType[]) {
  return <M extends (event: never) => Promise<unknown>>(target: object, key: string | symbol, descriptor: TypedPropertyDescriptor<M>): void => {
    declare(
      consumer,
      [type].flat().map((t) => ({ consumer: consumer.durable, prepare: t })),
    )(target, key, descriptor);
  };
}

/** The method handles every event of a consumer declared with `foreignTypeOfSubject`. */
export function OnAnyEvent(consumer: ConsumerDeclaration) {
  return <M extends (event: CloudEvent, ctx: HandlerContext) => Returned<HandlerOutcome>>(target: object, key: string | symbol, descriptor: TypedPropertyDescriptor<M>): void => {
    declare(consumer, { consumer: consumer.durable, any: true })(target, key, descriptor);
  };
}
