import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import type { DataSource } from 'typeorm';
import { errorMessage } from './errors.js';
import { DeadLetterRepository, HandledEventRepository, type DeadLetter, type DeadLetterQuery } from './repositories.js';
import type { ConsumerRunner, ReplayResult } from './runner.js';

/**
 * What a replay did. `handled`: the handler ran and committed. `already-handled`: the event's
 * idempotency record was there (replayed before, or handled after all), nothing ran again.
 * `dead-lettered-again`: it failed again; the dead letter holds the new reason. `skipped`: the
 * consumer no longer handles its type, or found nothing to do for it now (its prepare answered
 * `NothingToDo`: no endpoint subscribes any more, say); nothing ran and it stays unresolved.
 * `not-settled`: the consumer is stopping; try again.
 */
export type RedriveOutcome = 'handled' | 'already-handled' | 'dead-lettered-again' | 'skipped' | 'not-settled' | 'failed';

export interface RedriveResult {
  id: string;
  consumer: string;
  eventId: string | null;
  outcome: RedriveOutcome;
  /** The dead letter's reason after the replay (the new one when it failed again). */
  reason: string;
}

export class RedriveError extends Error {
  constructor(
    readonly code: 'consumer_not_here' | 'payload_unavailable',
    message: string,
  ) {
    super(message);
    this.name = 'RedriveError';
  }
}

/** Replays at most this many dead letters per call of `replayAll`. */
export const MAX_REPLAY_ALL = 1_000;

/**
 * Operator tooling over a service's dead letters (msg_dead_letters): list, inspect, and replay
 * through the consumer that gave up on them (ConsumerRunner.replay: same handler, same
 * idempotency record, so replaying twice never doubles an effect). Every replay is recorded on
 * the dead letter (`replayed_at`, `replay_count`, `replay_outcome`).
 */
export class DeadLetterRedrive {
  readonly #repo: DeadLetterRepository;
  readonly #handled: HandledEventRepository;
  readonly #runners: () => readonly ConsumerRunner[];

  /**
   * `runners`: the runners, or a function that lists them when asked (the JetStream transport
   * builds its runners once the application listens, after this is constructed).
   */
  constructor(
    dataSource: DataSource,
    runners: readonly ConsumerRunner[] | (() => readonly ConsumerRunner[]),
    private readonly nats?: NatsConnection,
  ) {
    this.#runners = typeof runners === 'function' ? runners : () => runners;
    this.#repo = new DeadLetterRepository(dataSource);
    this.#handled = new HandledEventRepository(dataSource);
  }

  /** The consumers this process runs, which are the ones it can replay for. */
  get consumers(): string[] {
    return this.#runners().map((r) => r.consumer);
  }

  list(q: DeadLetterQuery): Promise<DeadLetter[]> {
    return this.#repo.list(q);
  }

  get(id: string): Promise<DeadLetter | undefined> {
    return this.#repo.get(id);
  }

  /** Undefined when there is no such dead letter. Throws RedriveError when it cannot be replayed here. */
  async replay(id: string): Promise<RedriveResult | undefined> {
    const dl = await this.#repo.get(id);
    if (!dl) return undefined;
    return this.#replay(dl);
  }

  /** Replays the unresolved dead letters matching `filter`, newest first, at most `limit`. */
  async replayAll(filter: Pick<DeadLetterQuery, 'consumer' | 'reason'>, limit = 100): Promise<RedriveResult[]> {
    const max = Math.min(Math.max(limit, 1), MAX_REPLAY_ALL);
    const out: RedriveResult[] = [];
    let beforeId: string | undefined;
    while (out.length < max) {
      const page = await this.#repo.list({ ...filter, unresolved: true, beforeId, limit: Math.min(100, max - out.length) });
      if (page.length === 0) break;
      for (const dl of page) {
        // Another service's consumer (a shared database in tests) or one this process does not run.
        if (!this.consumers.includes(dl.consumer)) continue;
        out.push(await this.#replay(dl));
      }
      beforeId = page[page.length - 1].id;
    }
    return out;
  }

  async #replay(dl: DeadLetter): Promise<RedriveResult> {
    const runner = this.#runners().find((r) => r.consumer === dl.consumer);
    if (!runner) throw new RedriveError('consumer_not_here', `consumer ${dl.consumer} does not run in this service`);
    let outcome: RedriveOutcome;
    if (dl.eventId && /^[0-9a-f-]{36}$/i.test(dl.eventId) && (await this.#handled.isHandled(dl.consumer, dl.eventId))) {
      outcome = 'already-handled';
    } else {
      const result = await runner.replay({
        data: await this.#payload(dl),
        subject: dl.subject,
        streamSeq: dl.streamSeq,
        storedAt: dl.storedAt,
        headers: dl.headers,
      });
      outcome = OUTCOMES[result];
    }
    await this.#repo.markReplayed(dl.id, outcome);
    const after = await this.#repo.get(dl.id);
    return { id: dl.id, consumer: dl.consumer, eventId: dl.eventId, outcome, reason: after?.reason ?? dl.reason };
  }

  /**
   * The message's bytes: the stored copy, or, when that was truncated (above the dead-letter
   * payload cap), the original from its stream while the stream still holds it.
   */
  async #payload(dl: DeadLetter): Promise<Uint8Array> {
    if (!dl.payloadTruncated) return Buffer.from(dl.payload, dl.payloadEncoding === 'base64' ? 'base64' : 'utf8');
    if (this.nats) {
      try {
        const m = await (await jetstreamManager(this.nats)).streams.getMessage(dl.stream, { seq: dl.streamSeq });
        if (m && Math.abs(m.time.getTime() - dl.storedAt.getTime()) < 1) return m.data;
      } catch (err) {
        throw new RedriveError('payload_unavailable', `the dead letter's payload was truncated and its stream no longer holds it (${errorMessage(err)})`);
      }
    }
    throw new RedriveError('payload_unavailable', "the dead letter's payload was truncated and its stream no longer holds it");
  }
}

const OUTCOMES: Record<ReplayResult, RedriveOutcome> = {
  ack: 'handled',
  term: 'dead-lettered-again',
  nak: 'not-settled',
  skipped: 'skipped',
  failed: 'failed',
};
