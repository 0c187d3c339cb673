import { Server, type CustomTransportStrategy, type MessageHandler } from '@nestjs/microservices';
import type { NatsConnection } from '@nats-io/nats-core';
import type { BusNamespace, CloudEvent, StructuredLogger } from '@stagehook/contracts';
import type { Registry } from 'prom-client';
import { lastValueFrom } from 'rxjs';
import type { DataSource } from 'typeorm';
import type { ConsumerRunnerOptions } from '../consumer/options.js';
import { withPrepare, type AnyEventHandler, type BatchContext, type BatchHandler, type BatchItem } from '../handlers.js';
import { ConsumerRunner } from '../runner.js';
import type { ConsumerRegistry } from './consumer-registry.js';
import { JETSTREAM_TRANSPORT, type ConsumerDeclaration, type JetStreamExtras, type JetStreamPattern } from './decorators.js';

export interface JetStreamTransportOptions {
  dataSource: DataSource;
  nats: NatsConnection;
  namespace: BusNamespace;
  registry: ConsumerRegistry;
  logger?: StructuredLogger;
  metrics?: Registry;
  /** Settings from the service's config (see CONSUMER_SETTINGS). */
  settings?: ConsumerSettings;
  /** Replicas and size of a stream a consumer creates because it is missing (see ConsumerRunnerOptions). */
  streamLimits?: ConsumerRunnerOptions['streamLimits'];
}

/** What a service's config may set on its consumers, which their declarations cannot read. */
export type ConsumerTuning = Partial<Pick<ConsumerRunnerOptions, 'concurrency' | 'ackWaitMs' | 'drainTimeoutMs' | 'maxAckPending' | 'maxDeliver'>>;

export interface ConsumerSettings {
  /** Under every consumer's declaration. */
  defaults?: ConsumerTuning;
  /** Over the declaration of the consumer with this durable name. */
  byConsumer?: Readonly<Record<string, ConsumerTuning>>;
}

/**
 * Injection token of a service's ConsumerSettings (a provider in its module, usually a factory
 * of its config); the platform hands it to the transport.
 */
export const CONSUMER_SETTINGS = Symbol.for('stagehook.consumer-settings');

/** The handlers of one consumer, as the methods decorated for it. */
interface Collected {
  declaration: ConsumerDeclaration;
  handlers: Record<string, AnyEventHandler>;
  prepares: Map<string, (event: CloudEvent) => Promise<unknown>>;
  batch?: { types: readonly string[]; handle: BatchHandler['handle'] };
  any?: AnyEventHandler;
}

/**
 * A NestJS microservices transport over durable JetStream consumers: controller methods
 * decorated with `OnEvent`, `OnEventBatch`, `PrepareEvent` or `OnAnyEvent` (all `@EventPattern`s
 * of this transport) become the handlers of ConsumerRunners, one per declared consumer. The
 * runner keeps every guarantee — explicit acks, the idempotency record in the handler's
 * transaction, per-aggregate order, batches, in-progress acks, dead letters with reasons, in-place
 * waits for dependencies, drain on shutdown — and Nest's guards, interceptors and filters wrap
 * each call. An error a handler throws reaches the runner unchanged (the platform's exception
 * filter rethrows outside HTTP), so an outage is waited out and a bug is retried, then dead-lettered.
 */
export class JetStreamTransport extends Server implements CustomTransportStrategy {
  override readonly transportId = JETSTREAM_TRANSPORT;

  constructor(private readonly o: JetStreamTransportOptions) {
    super();
  }

  listen(callback: (err?: unknown) => void): void {
    this.#start().then(
      () => callback(),
      (err: unknown) => callback(err),
    );
  }

  async close(): Promise<void> {
    await this.o.registry.stop();
  }

  on(): never {
    throw new Error('the JetStream transport emits no events');
  }

  unwrap<T>(): T {
    return this.o.nats as T;
  }

  async #start(): Promise<void> {
    const runners = [...this.#collect().values()].map((c) => new ConsumerRunner(this.#options(c)));
    await this.o.registry.start(runners);
  }

  #collect(): Map<string, Collected> {
    const consumers = new Map<string, Collected>();
    for (const [route, handler] of this.messageHandlers) {
      if (handler.next) throw new Error(`two handlers for one event in one consumer: ${route}`);
      const { consumer: declaration } = handler.extras as JetStreamExtras;
      const pattern = JSON.parse(route) as JetStreamPattern;
      let c = consumers.get(declaration.durable);
      if (!c) {
        c = { declaration, handlers: {}, prepares: new Map() };
        consumers.set(declaration.durable, c);
      } else if (c.declaration !== declaration) {
        throw new Error(`consumer '${declaration.durable}' is declared twice`);
      }
      const call = this.#caller(handler);
      if ('type' in pattern) c.handlers[pattern.type] = call;
      else if ('prepare' in pattern) c.prepares.set(pattern.prepare, (event) => call(event));
      else if ('any' in pattern) c.any = call;
      else c.batch = { types: pattern.batch.split(' '), handle: (items: BatchItem[], ctx: BatchContext) => call(items, ctx) };
    }
    return consumers;
  }

  /** Calls a Nest-wrapped handler and settles its result (a value, a promise or an observable). */
  #caller(handler: MessageHandler): (data: unknown, ctx?: unknown) => Promise<never> {
    return async (data, ctx) => lastValueFrom(this.transformToObservable(await handler(data, ctx)), { defaultValue: undefined }) as Promise<never>;
  }

  #options(c: Collected): ConsumerRunnerOptions {
    const { foreignTypeOfSubject, maxBatch, parallel, ...declared } = c.declaration;
    const handlers: Record<string, AnyEventHandler> = {};
    for (const [type, handle] of Object.entries(c.handlers)) {
      const prepare = c.prepares.get(type);
      handlers[type] = prepare ? withPrepare(handle, prepare) : handle;
    }
    if (foreignTypeOfSubject && !c.any) throw new Error(`consumer '${declared.durable}' takes foreign events but has no OnAnyEvent handler`);
    const batchPrepare = c.prepares.get('batch');
    return {
      ...this.o.settings?.defaults,
      ...declared,
      ...this.o.settings?.byConsumer?.[declared.durable],
      dataSource: this.o.dataSource,
      nats: this.o.nats,
      namespace: this.o.namespace,
      streamLimits: this.o.streamLimits,
      logger: this.o.logger,
      metrics: this.o.metrics,
      handlers,
      ...(c.batch ? { batch: { types: c.batch.types, handle: c.batch.handle, maxBatch, parallel, ...(batchPrepare ? { prepare: batchPrepare } : {}) } } : {}),
      ...(foreignTypeOfSubject && c.any ? { foreign: { typeOfSubject: foreignTypeOfSubject, handler: c.any } } : {}),
    };
  }
}
