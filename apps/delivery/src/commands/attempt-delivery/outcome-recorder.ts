import { isTransientInfraError, GroupCommit } from '@stagehook/messaging';
import type { EntityManager } from 'typeorm';
import { decideDelivery, decideEndpoint, pending, type AttemptOutcome, type DeliveryContext, type DeliveryDecision, type DeliveryState } from '../../domain/delivery-lifecycle.js';
import { resolveRetryPolicy, type RetryPolicy } from '../../domain/retry-policy.js';
import type { AttemptRecord, ClaimedDelivery, DeliveryUpdate } from '../../persistence/delivery-queue.repository.js';
import { errorText, type DispatcherDeps, type DispatcherSettings } from './dispatch-deps.js';

/** Deliveries of a disabled endpoint failed per transaction. */
const FAIL_BATCH = 200;

/** An attempt made and decided, waiting to be recorded. */
export interface RecordedAttempt {
  c: ClaimedDelivery;
  attempt: AttemptRecord;
  /** What the lifecycle made of it: the delivery's next state and, when it ends, its outcome event. */
  decision: DeliveryDecision;
  /** Recording it again without what the receiver sent (`note` says why) decides it again from these. */
  outcome: AttemptOutcome;
  policy: RetryPolicy;
  ctx: DeliveryContext;
  random: number;
}

/** A claimed delivery as the lifecycle sees it. */
export function attempting(c: ClaimedDelivery): DeliveryState {
  return { status: 'attempting', attempts: c.attempts, nextAttemptAt: null, lastStatusCode: null, lastError: null };
}

/** What the outcome events of a claimed delivery say about it. */
export function contextOf(c: ClaimedDelivery, source: string, now: Date): DeliveryContext {
  return {
    ref: {
      id: c.id,
      endpointId: c.endpointId,
      projectId: c.projectId,
      triggerEventId: c.triggerEventId,
      triggerType: c.eventType,
      workflowId: c.workflowId,
      stageId: c.stageId,
      visitId: c.visitId,
      itemId: c.itemId,
      ...(c.trace ? { trace: c.trace } : {}),
    },
    source,
    now,
  };
}

function toUpdate(s: DeliveryState): DeliveryUpdate {
  return {
    status: s.status === 'delivered' || s.status === 'failed' ? s.status : 'pending',
    attempts: s.attempts,
    nextAttemptAt: s.status === 'parked' ? s.nextAttemptAt : null,
    lastStatusCode: s.lastStatusCode,
    lastError: s.lastError,
  };
}

/**
 * Records attempts and ends deliveries: each attempt in one transaction with its delivery's new
 * state and, when the delivery ends, its outcome event (the relay publishes it exactly once);
 * a failure that disables the endpoint also fails the endpoint's backlog.
 */
export class OutcomeRecorder {
  private readonly successes = new GroupCommit<RecordedAttempt, boolean>((batch) => this.recordSuccesses(batch), 200);

  constructor(
    private readonly deps: DispatcherDeps,
    private readonly s: DispatcherSettings,
    private readonly now: () => number,
  ) {}

  /**
   * The policy a claimed delivery follows: the one stored with it, or, for a delivery created
   * before policies were stored, the one its endpoint and the config give now (as then).
   */
  policyOf(c: ClaimedDelivery, endpointPolicy: { maxAttempts: number; backoffSeconds?: number[] } | null | undefined): RetryPolicy {
    return { maxAttempts: c.maxAttempts, scheduleMs: c.retryScheduleMs ?? resolveRetryPolicy(c.schedule, this.s.schedules, endpointPolicy).scheduleMs };
  }

  /** The lifecycle's decision on an attempt. */
  decide(c: ClaimedDelivery, attempt: AttemptRecord, outcome: AttemptOutcome, policy: RetryPolicy, random: number): RecordedAttempt {
    const ctx = contextOf(c, this.deps.serviceName, new Date(this.now()));
    const decision = decideDelivery(attempting(c), { type: 'RecordAttempt', outcome, policy, retryAfterMaxMs: this.s.retryAfterMaxMs, random }, ctx);
    return { c, attempt, decision, outcome, policy, ctx, random };
  }

  /**
   * Records an attempt. Successes, the bulk of the traffic, go in group commits; the rarer
   * failures one by one, as they may disable an endpoint. An attempt can never repeat without
   * counting: if recording fails for a reason other than an outage (a value the database refuses),
   * the attempt is recorded again without what the receiver sent, with the reason. Only an outage
   * leaves it to the lease's expiry, and then it is sent again, counted.
   */
  async record(rec: RecordedAttempt): Promise<void> {
    const write = (r: RecordedAttempt) => (r.decision.state.status === 'delivered' ? this.successes.submit(r) : this.recordFailure(r));
    let recorded: boolean;
    try {
      recorded = await write(rec);
    } catch (err) {
      if (isTransientInfraError(err)) throw err;
      this.deps.logger.error({ err, deliveryId: rec.c.id }, 'attempt could not be recorded as it was; recording it without the response');
      const delivered = rec.decision.state.status === 'delivered';
      const note = `the attempt could not be recorded with the receiver's response (${errorText(err)})`;
      const outcome = delivered ? rec.outcome : { ...rec.outcome, error: rec.outcome.error ?? note };
      // Decided again with the note as its error, so the delivery and its outcome event carry the reason.
      const again = decideDelivery(attempting(rec.c), { type: 'RecordAttempt', outcome, policy: rec.policy, retryAfterMaxMs: this.s.retryAfterMaxMs, random: rec.random }, rec.ctx);
      recorded = await write({
        ...rec,
        outcome,
        decision: again,
        attempt: { ...rec.attempt, responseHeaders: null, responseBody: null, error: rec.attempt.error ?? (delivered ? null : note) },
      });
    }
    if (!recorded) this.deps.logger.warn({ deliveryId: rec.c.id }, 'lease lost before the attempt was recorded');
    const status = rec.decision.state.status;
    this.deps.onAttempt?.(status === 'delivered' ? 'delivered' : status === 'failed' ? 'failed' : 'retry', rec.attempt.durationMs);
  }

  /** Ends a claimed delivery without an attempt (its endpoint is disabled, deleted or unknown). */
  async failUnsendable(c: ClaimedDelivery, reason: string): Promise<void> {
    await this.deps.dataSource.transaction(async (m) => {
      if (await this.deps.deliveries.failWithoutAttempt(m, c.id, reason)) {
        const { events } = decideDelivery(attempting(c), { type: 'FailWithoutAttempt', reason }, contextOf(c, this.deps.serviceName, new Date(this.now())));
        await this.deps.store.append(`delivery-${c.id}`, 'any', events, { manager: m, streamType: 'delivery' });
      }
    });
  }

  /**
   * Successful attempts, each with its delivery's end and its outcome event, in one transaction.
   * False for a delivery whose lease this node lost: nothing is written for it.
   */
  private recordSuccesses(batch: RecordedAttempt[]): Promise<boolean[]> {
    return this.deps.dataSource.transaction(async (m) => {
      const ok = await this.deps.deliveries.recordAttempts(
        m,
        this.s.node,
        batch.map((b) => ({ attempt: b.attempt, update: toUpdate(b.decision.state) })),
      );
      const done = batch.filter((b) => ok.has(b.c.id));
      if (done.length > 0) {
        await this.deps.endpoints.recordSuccess([...new Set(done.map((b) => b.c.endpointId))], m);
        await this.deps.store.appendToStreams(
          done.flatMap((b) => b.decision.events.map((event) => ({ streamId: `delivery-${b.c.id}`, event }))),
          { manager: m, streamType: 'delivery' },
        );
      }
      return batch.map((b) => ok.has(b.c.id));
    });
  }

  /** A failed attempt: retried later, or the delivery's end (and maybe its endpoint's disabling). */
  private async recordFailure({ c, attempt, decision }: RecordedAttempt): Promise<boolean> {
    let disabledFor: string | null = null;
    const recorded = await this.deps.dataSource.transaction(async (m) => {
      disabledFor = null;
      if (!(await this.deps.deliveries.recordAttempts(m, this.s.node, [{ attempt, update: toUpdate(decision.state) }])).has(c.id)) return false;
      const failingSince = await this.deps.endpoints.recordFailure(c.endpointId, m);
      if (decision.events.length > 0) await this.deps.store.append(`delivery-${c.id}`, 'any', decision.events, { manager: m, streamType: 'delivery' });
      const tooLong = failingSince !== null && this.now() - failingSince.getTime() >= this.s.disableAfterMs;
      const reason = decision.disableEndpoint ? 'the endpoint answered 410 Gone' : tooLong ? `no successful delivery for ${Math.round(this.s.disableAfterMs / 3_600_000)} h` : null;
      if (reason && (await this.disableEndpoint(m, c, reason))) disabledFor = reason;
      return true;
    });
    // Only once the disabling has committed: its backlog is failed in transactions of its own.
    const reason: string | null = disabledFor;
    if (reason !== null) void this.failBacklog(c.endpointId, reason);
    return recorded;
  }

  /**
   * Disables the endpoint here, in the attempt's (short) transaction. Its waiting deliveries are
   * failed after the commit, a bounded batch per transaction (`failBacklog`); any left when the
   * process dies fail when they come due (a claim of a disabled endpoint's delivery fails it).
   */
  private async disableEndpoint(m: EntityManager, c: ClaimedDelivery, reason: string): Promise<boolean> {
    // The conditional update is the state read: false when delivery had already disabled it.
    if (!(await this.deps.endpoints.disable(c.endpointId, reason, m))) return false;
    const { events } = decideEndpoint(
      { status: 'enabled' },
      { type: 'DisableEndpoint', reason },
      { ref: { endpointId: c.endpointId, projectId: c.projectId }, source: this.deps.serviceName, now: new Date(this.now()) },
    );
    await this.deps.store.append(`endpoint-${c.endpointId}`, 'any', events, { manager: m, streamType: 'endpoint' });
    return true;
  }

  /** Fails a disabled endpoint's backlog, FAIL_BATCH deliveries (and their outcome events) per transaction. */
  private async failBacklog(endpointId: string, reason: string): Promise<void> {
    const why = `endpoint disabled: ${reason}`;
    try {
      for (;;) {
        const n = await this.deps.dataSource.transaction(async (m) => {
          const failed = await this.deps.deliveries.failPendingOfEndpoint(m, endpointId, why, FAIL_BATCH);
          if (failed.length > 0) {
            const now = new Date(this.now());
            await this.deps.store.appendToStreams(
              failed.flatMap((p) =>
                decideDelivery(pending(p), { type: 'FailWithoutAttempt', reason: why }, contextOf(p, this.deps.serviceName, now)).events.map((event) => ({
                  streamId: `delivery-${p.id}`,
                  event,
                })),
              ),
              { manager: m, streamType: 'delivery' },
            );
          }
          return failed.length;
        });
        if (n < FAIL_BATCH) return;
      }
    } catch (err) {
      // What is left fails when it comes due: a claim of a disabled endpoint's delivery fails it.
      this.deps.logger.error({ err, endpointId }, "failing a disabled endpoint's backlog stopped");
    }
  }
}
