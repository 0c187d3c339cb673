import type { DeliverPolicy } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import type { BusNamespace, CloudEvent, StreamKey, StructuredLogger } from '@stagehook/contracts';
import type { Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import type { AnyEventHandler, BatchHandler, EventHandlers } from '../handlers.js';
import type { StreamLimits } from '../provisioning.js';
import { exponentialBackoff } from '../sleep.js';

export interface ConsumerRunnerOptions {
  dataSource: DataSource;
  nats: NatsConnection;
  namespace: BusNamespace;
  /** The stream the events come from. */
  stream: StreamKey;
  /**
   * The consumer's logical name, e.g. `delivery-stage-entered`. WIRE NAME: it is the JetStream
   * durable (namespaced), the `consumer` of msg_handled rows and the dead-letter subject token;
   * renaming it re-delivers the whole stream to the new name.
   */
  durable: string;
  /** Event-type pattern, without the namespace (`item.>`, `workflow.stage.entered`). Default: the stream's subjects. */
  filterSubject?: string;
  handlers: EventHandlers;
  /** Types handled many at a time in one transaction (see BatchHandler); they need no entry in `handlers`. */
  batch?: BatchHandler;
  /**
   * For a stream of events whose types are not in the contracts' catalog (the PUBLISHED stream
   * of custom types, issue 18): `typeOfSubject` gives the event type a subject must carry (the
   * envelope's `type` must equal it, else the message is dead-lettered), and `handler` receives
   * every event with a valid envelope; it validates the data itself (and answers
   * `Outcome.deadLetter(reason)` when it cannot). `handlers` and `batch` are not consulted.
   */
  foreign?: { typeOfSubject(subjectType: string): string | undefined; handler: AnyEventHandler };
  /**
   * Which valid events this consumer acts on, by a pure look at the event: the others are acked at
   * once, without a transaction or an idempotency record (what a handler acking them without
   * effect would cost each). A malformed message is dead-lettered whatever this says.
   */
  relevant?: (event: CloudEvent) => boolean;
  /**
   * Handlers running at once (different keys). Each holds a database connection. Default 4. A
   * batch consumer holds at least `parallel × min(maxBatch, 32)` events at once (they hold no
   * connection: its flushes do), so that its batches can fill.
   */
  concurrency?: number;
  /** Messages held at once, running or waiting for their key; bounds memory. Default max(16, 4 × concurrency). */
  maxInFlight?: number;
  /** Default 30 s. In-progress acks keep longer handlers from being redelivered. */
  ackWaitMs?: number;
  /** Deliveries before a failing event is dead-lettered. Default 10. */
  maxDeliver?: number;
  /** Unacked messages across all replicas sharing the durable. Default 1000. */
  maxAckPending?: number;
  deliverPolicy?: DeliverPolicy;
  /** Nak delay after the `deliveryCount`-th delivery failed. Default 1 s doubling to 5 min, ±20 %. */
  retryBackoff?: (deliveryCount: number) => number;
  /** How long stop() waits for running handlers. Default 30 s. */
  drainTimeoutMs?: number;
  logger?: StructuredLogger;
  metrics?: Registry;
  /** Create the consumer (and the source and DEADLETTER streams if missing) on start. Default true. */
  provision?: boolean;
  /**
   * Replicas and size of a source or DEADLETTER stream this runner creates because its owner has
   * not provisioned it yet: the service's STREAM_REPLICAS and STREAM_MAX_BYTES, so the stream and
   * the consumer made on it are born at the cluster's replica count. A stream born smaller is
   * scaled up when its owner boots, and the consumers created on it meanwhile with it; NATS 2.9
   * can then fail to catch such a consumer up on a restarted node. Default DEFAULT_STREAM_LIMITS.
   */
  streamLimits?: Pick<StreamLimits, 'replicas' | 'maxBytes'>;
  /** Bytes of a dead-lettered body kept in PostgreSQL. Default 64 KiB. */
  deadLetterPayloadCapBytes?: number;
  /** How long one pull request waits on an idle stream (min 1000). Default 5 s. */
  pullExpiresMs?: number;
}

export function defaultRetryBackoff(deliveryCount: number): number {
  return exponentialBackoff(deliveryCount, 1_000, 5 * 60_000);
}
