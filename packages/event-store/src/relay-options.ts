import type { NatsConnection } from '@nats-io/nats-core';
import type { BusNamespace, StructuredLogger } from '@stagehook/contracts';
import type { DataSource } from 'typeorm';
import type { RelayPublish } from './ack-inbox.js';
import type { EventStore } from './event-store.js';

// What an OutboxRelay (relay.ts) is given and what it reports.

export interface RelayOptions {
  dataSource: DataSource;
  nats: NatsConnection;
  /** Checkpoint and leadership lock name: one per service (`items`, `workflow`, …). */
  name: string;
  namespace?: BusNamespace;
  /** Wakes the relay as soon as this process appends, instead of at the next poll. */
  store?: EventStore;
  batchSize?: number;
  /**
   * How soon to look again while committed events wait behind an older open transaction (the
   * read says so), and how often to look at all without `store` (nothing then wakes the relay).
   */
  pollMs?: number;
  /**
   * With `store`, how often a leader with nothing held back looks anyway (default 1 s): every
   * append that could be waiting wakes it, this process's through `store` and other replicas'
   * through a notification, so this only bounds what a lost wake-up costs. An idle service
   * polled every `pollMs` before: 40 reads a second doing nothing.
   */
  idlePollMs?: number;
  /** How often a follower tries to become the leader. */
  lockRetryMs?: number;
  publishTimeoutMs?: number;
  /**
   * How often, at most, the checkpoint is written while events flow (default 100 ms): a crash
   * repeats up to this much, deduplicated by `Nats-Msg-Id` within the streams' two-minute
   * duplicate window. A checkpoint per batch was a statement per event at a few events a second.
   */
  checkpointEveryMs?: number;
  logger?: StructuredLogger;
  /**
   * Test seam: how one event is published. Default: a JetStream publish on `nats` (AckInbox). Tests wrap it to
   * make one publish of a batch fail and check what the stream then holds.
   */
  publish?: RelayPublish;
}

export interface RelayStats {
  leader: boolean;
  published: number;
  duplicates: number;
  batches: number;
  /** Reads of the store completed as leader, whether they found anything: tests wait on it. */
  reads: number;
  errors: number;
  lastPublishedAt: Date | null;
}
