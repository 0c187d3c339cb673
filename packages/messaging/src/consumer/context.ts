import type { JetStreamClient } from '@nats-io/jetstream';
import type { StructuredLogger } from '@stagehook/contracts';
import type { MessagingMetrics } from '../metrics.js';
import type { RunnerMsg, Settlement } from './message.js';
import type { ConsumerRunnerOptions } from './options.js';

/** What the runner's parts share about the one consumer they serve. */
export interface ConsumerContext {
  /** The consumer's logical name (see ConsumerRunnerOptions.durable). */
  readonly consumer: string;
  readonly options: ConsumerRunnerOptions;
  /** The namespaced stream name. */
  readonly streamName: string;
  readonly log: StructuredLogger;
  readonly metrics: MessagingMetrics | undefined;
  /** Aborted when the drain times out: in-place retries give up. */
  readonly hardStop: AbortSignal;
  /** Nak delay after the n-th delivery failed. */
  retryBackoff(deliveryCount: number): number;
  /** The consumer's delivery limit as the server has it (known after provisioning). */
  maxDeliver(): number;
  jetstream(): JetStreamClient;
  settle(msg: RunnerMsg, action: Settlement, delayMs?: number): void;
}
