import type { EventStore } from '@stagehook/event-store';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { RetryDefaults } from '../../domain/retry-policy.js';
import type { DeliveryQueue } from '../../persistence/delivery-queue.repository.js';
import type { EndpointRepository } from '../../persistence/endpoint.repository.js';
import type { Breakers } from '../../adapters/breakers.js';
import type { HttpSender, SendResult } from '../../adapters/http-sender.js';
import type { SecretOpener } from '../../adapters/request-headers.js';

export interface DispatcherSettings {
  node: string;
  concurrency: number;
  endpointConcurrency: number;
  batch: number;
  pollMs: number;
  /** Renewed every third while held, so it may be shorter than an endpoint's timeout. */
  leaseMs: number;
  /** The configured schedules: what a delivery created before schedules were stored on it still follows. */
  schedules: RetryDefaults;
  retryAfterMaxMs: number;
  disableAfterMs: number;
  /** How long a delivery refused by an open breaker waits before it is claimable again. */
  breakerBackoffMs: number;
}

export interface DispatcherDeps {
  dataSource: DataSource;
  store: EventStore;
  deliveries: DeliveryQueue;
  endpoints: EndpointRepository;
  sender: HttpSender;
  breakers: Breakers<SendResult>;
  /** Opens a sealed endpoint secret (platform SecretBox); `field` says which one. */
  openSecret: SecretOpener;
  logger: Logger;
  serviceName: string;
  now?: () => number;
  random?: () => number;
  /**
   * Sets the claim loop's sleep timer (a poll interval, or the pause after a failed claim) and
   * returns what cancels it; by default setTimeout. Tests drive it by hand to see the loop asleep.
   */
  schedule?: (fire: () => void, ms: number) => () => void;
  onAttempt?: (outcome: 'delivered' | 'retry' | 'failed', durationMs: number) => void;
  /** A held delivery was dropped because its lease was lost before it was sent. */
  onLeaseLost?: () => void;
  /**
   * Stores a write-back response's annotations (the bus's DocumentStore): they may be far larger
   * than a NATS message, so the delivered event carries only their name. Without it, write-back
   * deliveries fail their attempts with the reason.
   */
  putDocument?: (name: string, data: Uint8Array) => Promise<{ name: string; bytes: number }>;
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
