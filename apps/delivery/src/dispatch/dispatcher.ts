import { randomUUID } from 'node:crypto';
import { newEvent, type EndpointStateData, type WriteBackRef } from '@stagehook/contracts';
import type { EventStore } from '@stagehook/event-store';
import { GroupCommit, isTransientInfraError } from '@stagehook/messaging';
import type { Logger } from 'pino';
import type { DataSource, EntityManager } from 'typeorm';
import { renderBody } from '../domain/payload-formats.js';
import { readWriteBack, WRITE_BACK_MAX_BYTES } from '../domain/write-back.js';
import { isSuccess, nextStep, type AttemptResult, type NextStep, type Schedule } from '../domain/retry-policy.js';
import type { AttemptRecord, ClaimedDelivery, DeliveryRepository, DeliveryUpdate } from '../persistence/delivery.repository.js';
import type { EndpointRepository } from '../persistence/endpoint.repository.js';
import { MAX_ERROR_CHARS, storableNullable } from '../persistence/storable.js';
import type { Breakers, Guarded } from '../sending/breakers.js';
import { RESPONSE_BODY_CAP, type HttpSender, type SendResult } from '../sending/http-sender.js';
import { requestHeaders, type RequestHeaders, type SecretOpener } from '../sending/request-headers.js';
import { startAttemptSpan } from '../sending/attempt-span.js';

/** Opens a sealed endpoint secret (platform SecretBox); `field` says which one. */

export interface DispatcherSettings {
  node: string;
  concurrency: number;
  endpointConcurrency: number;
  batch: number;
  pollMs: number;
  /** Renewed every third while held, so it may be shorter than an endpoint's timeout. */
  leaseMs: number;
  schedules: { standard: Schedule; stage: Schedule };
  retryAfterMaxMs: number;
  disableAfterMs: number;
  /** How long a delivery refused by an open breaker waits before it is claimable again. */
  breakerBackoffMs: number;
}

/** Deliveries of a disabled endpoint failed per transaction. */
const FAIL_BATCH = 200;

/** An attempt made, waiting to be recorded. */
interface RecordedAttempt {
  c: ClaimedDelivery;
  step: NextStep;
  attempt: AttemptRecord;
  update: DeliveryUpdate;
  /** A write-back stage's accepted response, stored; carried on the delivered event. */
  writeBack?: WriteBackRef;
}

export interface DispatcherDeps {
  dataSource: DataSource;
  store: EventStore;
  deliveries: DeliveryRepository;
  endpoints: EndpointRepository;
  sender: HttpSender;
  breakers: Breakers<SendResult>;
  openSecret: SecretOpener;
  logger: Logger;
  serviceName: string;
  now?: () => number;
  random?: () => number;
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

/**
 * Claims due deliveries from PostgreSQL and sends them. Per process: a global cap on attempts in
 * flight and a per-endpoint cap, so a hanging endpoint holds at most its own slots; endpoints at
 * their cap or with an open breaker are left out of the claim, so other endpoints' deliveries
 * keep flowing. Every attempt is recorded in one transaction with the delivery's new state and,
 * when the delivery ends, its outcome event (the relay publishes it exactly once).
 */
export class Dispatcher {
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly queued = new Map<string, ClaimedDelivery[]>();
  private readonly inFlight = new Map<string, number>();
  private readonly held = new Set<string>();
  /**
   * Until when this node may send each held delivery, by its own clock: set from the time the
   * claim (or renewal) was asked, so it errs early. A node paused past its lease (SIGSTOP, a long
   * GC, a starved CPU) finds its leases expired when it resumes and drops those deliveries
   * instead of sending what another node may have claimed and sent meanwhile.
   */
  private readonly leaseUntil = new Map<string, number>();
  private total = 0;
  private wakeUp: (() => void) | undefined;
  private woken = false;
  private renewTimer: NodeJS.Timeout | undefined;
  private readonly tasks = new Set<Promise<void>>();
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly successes = new GroupCommit<RecordedAttempt, boolean>((batch) => this.recordSuccesses(batch), 200);

  constructor(
    private readonly deps: DispatcherDeps,
    private readonly s: DispatcherSettings,
  ) {
    this.now = deps.now ?? Date.now;
    this.random = deps.random ?? Math.random;
  }

  get leaseMs(): number {
    return this.s.leaseMs;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.renewTimer = setInterval(() => void this.renewLeases(), this.leaseMs / 3);
    this.loop = this.run();
  }

  /**
   * Extends the leases of what this node holds. The repository answers which it still holds; a
   * lease lost (it lapsed and another node claimed the delivery) drops the delivery if it has not
   * started, and its attempt, if running, is not recorded (the record checks the lease too).
   */
  private async renewLeases(): Promise<void> {
    const ids = [...this.held];
    if (ids.length === 0) return;
    const asked = this.now();
    let kept: Set<string>;
    try {
      kept = await this.deps.deliveries.extendLeases(this.s.node, ids, this.leaseMs);
    } catch (err) {
      this.deps.logger.warn({ err }, 'lease renewal failed');
      return;
    }
    for (const id of ids) {
      if (!this.held.has(id)) continue;
      if (kept.has(id)) this.leaseUntil.set(id, asked + this.leaseMs);
      else this.leaseLost(id, 'renewal');
    }
  }

  private leaseValid(id: string): boolean {
    return (this.leaseUntil.get(id) ?? 0) > this.now();
  }

  /** Forgets a delivery whose lease this node no longer holds; a queued one is never sent. */
  private leaseLost(id: string, how: 'renewal' | 'expired'): void {
    this.leaseUntil.delete(id);
    for (const [endpointId, q] of this.queued) {
      const i = q.findIndex((c) => c.id === id);
      if (i < 0) continue;
      q.splice(i, 1);
      if (q.length === 0) this.queued.delete(endpointId);
      this.held.delete(id);
      this.total--;
      this.deps.logger.warn({ deliveryId: id, how }, 'lease lost before sending; the delivery is left to the node that holds it');
      // If no other node took it (a lapsed lease nobody claimed), it is claimable again at once
      // rather than when the database's lease runs out; a row another node holds is untouched.
      void this.deps.deliveries.release(this.s.node, [id], 0).catch(() => undefined);
      this.deps.onLeaseLost?.();
      this.wake();
      return;
    }
  }

  /** Stops claiming, hands back what has not started, waits for attempts in flight. */
  async stop(timeoutMs = 20_000): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wake();
    await this.loop;
    const waiting = [...this.queued.values()].flat().map((c) => c.id);
    this.queued.clear();
    await Promise.race([Promise.allSettled([...this.tasks]), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
    clearInterval(this.renewTimer);
    await this.deps.deliveries.release(this.s.node, waiting, 0).catch(() => undefined);
  }

  /**
   * Nudges the loop (a consumer created deliveries, an attempt freed a slot). A nudge that comes
   * while the loop is claiming is kept for its next sleep, which then returns at once: otherwise
   * deliveries committed during a claim would wait a whole poll interval.
   */
  wake(): void {
    const w = this.wakeUp;
    this.wakeUp = undefined;
    if (w) w();
    else this.woken = true;
  }

  private sleep(ms: number): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wakeUp = undefined;
        resolve();
      }, ms);
      this.wakeUp = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  private load(endpointId: string): number {
    return (this.inFlight.get(endpointId) ?? 0) + (this.queued.get(endpointId)?.length ?? 0);
  }

  private async run(): Promise<void> {
    while (this.running) {
      const free = this.s.concurrency - this.total;
      if (free <= 0) {
        await this.sleep(this.s.pollMs);
        continue;
      }
      // Open breakers hold back standard deliveries only; stage deliveries run their schedule.
      const open = this.deps.breakers.openEndpoints();
      const exclude = new Set<string>();
      for (const [ep] of this.inFlight) if (this.load(ep) >= this.s.endpointConcurrency) exclude.add(ep);
      for (const [ep] of this.queued) if (this.load(ep) >= this.s.endpointConcurrency) exclude.add(ep);
      const limit = Math.min(this.s.batch, free);
      let claimed: ClaimedDelivery[];
      const claimAsked = this.now();
      try {
        claimed = await this.deps.deliveries.claimDue(this.s.node, limit, { atCapacity: [...exclude], breakerOpen: open, perEndpoint: this.s.endpointConcurrency }, this.leaseMs);
      } catch (err) {
        this.deps.logger.error({ err }, 'claiming deliveries failed');
        await this.sleep(1_000);
        continue;
      }
      for (const c of claimed) {
        this.held.add(c.id);
        this.leaseUntil.set(c.id, claimAsked + this.leaseMs);
        this.total++;
        const q = this.queued.get(c.endpointId) ?? [];
        q.push(c);
        this.queued.set(c.endpointId, q);
      }
      for (const ep of new Set(claimed.map((c) => c.endpointId))) this.pump(ep);
      if (claimed.length < limit) await this.sleep(this.s.pollMs);
    }
  }

  private pump(endpointId: string): void {
    const q = this.queued.get(endpointId);
    while (q && q.length > 0 && (this.inFlight.get(endpointId) ?? 0) < this.s.endpointConcurrency) {
      const c = q[0];
      if (!this.leaseValid(c.id)) {
        this.leaseLost(c.id, 'expired');
        continue;
      }
      q.shift();
      this.inFlight.set(endpointId, (this.inFlight.get(endpointId) ?? 0) + 1);
      const task = this.attempt(c)
        .catch((err: unknown) => this.deps.logger.error({ err, deliveryId: c.id }, 'delivery attempt failed to record; the lease will expire and it is retried'))
        .finally(() => {
          this.tasks.delete(task);
          this.held.delete(c.id);
          this.leaseUntil.delete(c.id);
          this.total--;
          const n = (this.inFlight.get(endpointId) ?? 1) - 1;
          if (n === 0) this.inFlight.delete(endpointId);
          else this.inFlight.set(endpointId, n);
          this.pump(endpointId);
          this.wake();
        });
      this.tasks.add(task);
    }
    if (q && q.length === 0) this.queued.delete(endpointId);
  }

  private async attempt(c: ClaimedDelivery): Promise<void> {
    const ep = c.endpoint;
    if (!ep) {
      await this.deps.dataSource.transaction(async (m) => {
        if (await this.deps.deliveries.failWithoutAttempt(m, c.id, 'endpoint disabled or deleted')) {
          await this.appendOutcome(m, c, 'failed', c.attempts, null, 'endpoint disabled or deleted');
        }
      });
      return;
    }
    const timestamp = Math.floor(this.now() / 1000);
    // The endpoint's payload format, from the frozen body: the same bytes on every retry.
    const body = renderBody(ep.payloadFormat, c.body);
    let prepared: RequestHeaders;
    try {
      prepared = requestHeaders(ep, this.deps.openSecret, c.id, timestamp, body);
    } catch (err) {
      // A secret sealed under a key no longer in SECRET_KEYS, or bound to another endpoint or
      // field: nothing can be sent, and retrying in a loop would not help either. The attempt
      // counts, with the reason, on its schedule.
      const reason = `${errorText(err)}; restore the key in SECRET_KEYS, or set the value again in the registry (rotate a signing secret)`;
      await this.record(this.recorded(c, ep, this.notSent(reason), {}));
      return;
    }
    const { headers, logged } = prepared;
    // The last moment to notice a lapsed lease before the receiver sees a second copy.
    if (!this.leaseValid(c.id)) {
      this.deps.logger.warn({ deliveryId: c.id }, 'lease expired before sending; the delivery is left to the node that holds it');
      this.deps.onLeaseLost?.();
      return;
    }
    // The attempt continues the message's trace; its outcome event continues the attempt's.
    const span = startAttemptSpan(c, ep.url, c.attempts + 1);
    const traced: ClaimedDelivery = { ...c, trace: span.trace };
    const traceHeaders = { traceparent: span.trace.traceparent, ...(span.trace.tracestate ? { tracestate: span.trace.tracestate } : {}) };
    let guarded: Guarded<SendResult>;
    try {
      guarded = await this.deps.breakers.fire(
        c.endpointId,
        // A write-back stage reads the whole answer (up to its bound, one byte more to notice a larger one).
        () =>
          this.deps.sender.send({
            url: ep.url,
            headers: { ...headers, ...traceHeaders },
            body,
            timeoutMs: ep.timeoutMs,
            ...(c.writeBack ? { responseCap: WRITE_BACK_MAX_BYTES + 1 } : {}),
          }),
        (r) => r.statusCode !== null && isSuccess(r.statusCode),
      );
    } catch (err) {
      span.end({ refused: errorText(err) });
      throw err;
    }
    const sentHeaders = { ...logged, ...traceHeaders };
    if (guarded.kind === 'rejected') {
      span.end({ refused: 'circuit breaker open' });
      if (c.schedule === 'stage') {
        // An item waits in its webhook stage: the stage's short schedule runs on while the breaker
        // stays open (one half-open probe per reset period would stretch it to hours), each
        // refusal a failed attempt with its reason, and the item routes through `failed` in time.
        await this.record(this.recorded(traced, ep, this.notSent('circuit breaker open: the endpoint has been failing; not sent'), sentHeaders));
        return;
      }
      // Open breaker: a standard delivery (hours of schedule) waits for the half-open probe
      // without spending an attempt.
      await this.deps.deliveries.release(this.s.node, [c.id], this.s.breakerBackoffMs);
      return;
    }
    const r = guarded.result;
    span.end(r);
    if (c.writeBack && r.statusCode !== null && isSuccess(r.statusCode)) {
      await this.record(await this.writeBack(traced, ep, r, sentHeaders));
      return;
    }
    await this.record(this.recorded(traced, ep, r, sentHeaders));
  }

  /**
   * A write-back stage's 2xx: its body must hold Darwin annotations. Malformed (not JSON, not
   * annotations, too large) fails the attempt with the reason, so the stage's schedule retries it
   * and finally routes `failed`. Accepted, the annotations are stored before the attempt is
   * recorded (never a NATS call inside the record's transaction) under a name of this attempt,
   * so a re-sent attempt never meets a different document under its name. A store that cannot
   * be reached also fails the attempt, counted, with the reason: the attempt cannot be kept
   * without its document, and a counted retry is what the stage's schedule is for.
   */
  private async writeBack(c: ClaimedDelivery, ep: EndpointStateData, r: SendResult, logged: Record<string, string>): Promise<RecordedAttempt> {
    const logR = { ...r, responseBody: r.responseBody.slice(0, RESPONSE_BODY_CAP) };
    const read = readWriteBack(r.responseBody, { truncated: r.truncated === true, newId: randomUUID });
    if (!read.ok) return this.recorded(c, ep, logR, logged, read.reason);
    if (!this.deps.putDocument) return this.recorded(c, ep, logR, logged, 'write-back: no document store configured');
    const json = Buffer.from(JSON.stringify({ annotations: read.annotations }));
    try {
      // WIRE NAME pattern: writeback.<deliveryId>.<attempt> (read by items).
      const ref = await this.deps.putDocument(`writeback.${c.id}.${c.attempts + 1}`, json);
      return { ...this.recorded(c, ep, logR, logged), writeBack: { document: ref.name, bytes: ref.bytes, annotations: read.annotations.length } };
    } catch (err) {
      return this.recorded(c, ep, logR, logged, `write-back: the annotations could not be stored (${errorText(err)})`);
    }
  }

  /** An attempt that failed before any request left, with its reason. */
  private notSent(reason: string): SendResult {
    return { statusCode: null, responseHeaders: {}, responseBody: '', error: reason, timedOut: false, startedAt: new Date(this.now()), durationMs: 0 };
  }

  /** What an attempt's outcome makes of its delivery: the next step, the attempt row and the update. */
  private recorded(c: ClaimedDelivery, ep: EndpointStateData, r: SendResult, logged: Record<string, string>, refused?: string): RecordedAttempt {
    const n = c.attempts + 1;
    // `refused`: an answer the stage cannot accept (a malformed write-back body) is a failed attempt despite its status.
    const result: AttemptResult = refused
      ? { kind: 'error', error: refused, timedOut: false }
      : r.statusCode !== null
        ? { kind: 'response', statusCode: r.statusCode, retryAfter: r.responseHeaders['retry-after'] }
        : { kind: 'error', error: r.error ?? 'no response', timedOut: r.timedOut };
    const step = nextStep({
      result,
      attempts: n,
      maxAttempts: c.maxAttempts,
      schedule:
        c.schedule === 'standard' && ep.retryPolicy?.backoffSeconds?.length
          ? [0, ...ep.retryPolicy.backoffSeconds.map((sec) => sec * 1000)]
          : this.s.schedules[c.schedule],
      retryAfterMaxMs: this.s.retryAfterMaxMs,
      now: this.now(),
      random: this.random(),
    });
    const lastError = refused ?? r.error ?? (r.statusCode !== null && !isSuccess(r.statusCode) ? `HTTP ${r.statusCode}` : null);
    return {
      c,
      step,
      attempt: {
        deliveryId: c.id,
        n,
        startedAt: r.startedAt,
        durationMs: r.durationMs,
        statusCode: r.statusCode,
        error: refused ?? r.error,
        requestHeaders: logged,
        responseHeaders: r.statusCode !== null ? r.responseHeaders : null,
        responseBody: r.statusCode !== null ? r.responseBody : null,
        sentBy: this.s.node,
      },
      update: {
        status: step.kind === 'retry' ? 'pending' : step.kind,
        attempts: n,
        nextAttemptAt: step.kind === 'retry' ? new Date(this.now() + step.delayMs) : null,
        lastStatusCode: r.statusCode,
        lastError,
      },
    };
  }

  /**
   * Records an attempt. Successes, the bulk of the traffic, go in group commits; the rarer
   * failures one by one, as they may disable an endpoint. An attempt can never repeat without
   * counting: if recording fails for a reason other than an outage (a value the database refuses),
   * the attempt is recorded again without what the receiver sent, with the reason. Only an outage
   * leaves it to the lease's expiry, and then it is sent again, counted.
   */
  private async record(rec: RecordedAttempt): Promise<void> {
    const write = (r: RecordedAttempt) => (r.step.kind === 'delivered' ? this.successes.submit(r) : this.recordFailure(r));
    let recorded: boolean;
    try {
      recorded = await write(rec);
    } catch (err) {
      if (isTransientInfraError(err)) throw err;
      this.deps.logger.error({ err, deliveryId: rec.c.id }, 'attempt could not be recorded as it was; recording it without the response');
      const note = `the attempt could not be recorded with the receiver's response (${errorText(err)})`;
      recorded = await write({
        ...rec,
        attempt: { ...rec.attempt, responseHeaders: null, responseBody: null, error: rec.attempt.error ?? (rec.step.kind === 'delivered' ? null : note) },
        update: { ...rec.update, lastError: rec.update.lastError ?? (rec.step.kind === 'delivered' ? null : note) },
      });
    }
    if (!recorded) this.deps.logger.warn({ deliveryId: rec.c.id }, 'lease lost before the attempt was recorded');
    this.deps.onAttempt?.(rec.step.kind, rec.attempt.durationMs);
  }

  /**
   * Successful attempts, each with its delivery's end and its outcome event, in one transaction.
   * False for a delivery whose lease this node lost: nothing is written for it.
   */
  private recordSuccesses(batch: RecordedAttempt[]): Promise<boolean[]> {
    return this.deps.dataSource.transaction(async (m) => {
      const ok = await this.deps.deliveries.recordAttempts(m, this.s.node, batch);
      const done = batch.filter((b) => ok.has(b.c.id));
      if (done.length > 0) {
        await this.deps.endpoints.recordSuccess([...new Set(done.map((b) => b.c.endpointId))], m);
        await this.deps.store.appendToStreams(
          done.map((b) => ({ streamId: `delivery-${b.c.id}`, event: this.outcomeEvent(b.c, 'delivered', b.update.attempts, b.update.lastStatusCode, null, b.writeBack) })),
          { manager: m, streamType: 'delivery' },
        );
      }
      return batch.map((b) => ok.has(b.c.id));
    });
  }

  /** A failed attempt: retried later, or the delivery's end (and maybe its endpoint's disabling). */
  private async recordFailure({ c, step, attempt, update }: RecordedAttempt): Promise<boolean> {
    let disabledFor: string | null = null;
    const recorded = await this.deps.dataSource.transaction(async (m) => {
      disabledFor = null;
      if (!(await this.deps.deliveries.recordAttempts(m, this.s.node, [{ attempt, update }])).has(c.id)) return false;
      const failingSince = await this.deps.endpoints.recordFailure(c.endpointId, m);
      if (step.kind === 'failed') await this.appendOutcome(m, c, 'failed', update.attempts, update.lastStatusCode, update.lastError);
      const tooLong = failingSince !== null && this.now() - failingSince.getTime() >= this.s.disableAfterMs;
      const reason =
        step.kind === 'failed' && step.disableEndpoint ? 'the endpoint answered 410 Gone' : tooLong ? `no successful delivery for ${Math.round(this.s.disableAfterMs / 3_600_000)} h` : null;
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
    if (!(await this.deps.endpoints.disable(c.endpointId, reason, m))) return false;
    const at = new Date(this.now()).toISOString();
    await this.deps.store.append(
      `endpoint-${c.endpointId}`,
      'any',
      [newEvent('delivery.endpoint.disabled', { endpointId: c.endpointId, projectId: c.projectId, reason, at }, this.meta(c.projectId))],
      { manager: m, streamType: 'endpoint' },
    );
    return true;
  }

  /** Fails a disabled endpoint's backlog, FAIL_BATCH deliveries (and their outcome events) per transaction. */
  private async failBacklog(endpointId: string, reason: string): Promise<void> {
    try {
      for (;;) {
        const n = await this.deps.dataSource.transaction(async (m) => {
          const failed = await this.deps.deliveries.failPendingOfEndpoint(m, endpointId, `endpoint disabled: ${reason}`, FAIL_BATCH);
          if (failed.length > 0) {
            await this.deps.store.appendToStreams(
              failed.map((p) => ({ streamId: `delivery-${p.id}`, event: this.outcomeEvent(p, 'failed', p.attempts, null, `endpoint disabled: ${reason}`) })),
              { manager: m, streamType: 'delivery' },
            );
          }
          return failed.length;
        });
        if (n < FAIL_BATCH) return;
      }
    } catch (err) {
      // What is left fails when it comes due: a claim of a disabled endpoint's delivery fails it.
      this.deps.logger.error({ err, endpointId }, 'failing a disabled endpoint\'s backlog stopped');
    }
  }

  private meta(projectId: string) {
    return { source: this.deps.serviceName, projectId };
  }

  private async appendOutcome(
    m: EntityManager,
    c: ClaimedDelivery,
    outcome: 'delivered' | 'failed',
    attempts: number,
    lastStatusCode: number | null,
    lastError: string | null,
  ): Promise<void> {
    await this.deps.store.append(`delivery-${c.id}`, 'any', [this.outcomeEvent(c, outcome, attempts, lastStatusCode, lastError)], {
      manager: m,
      streamType: 'delivery',
    });
  }

  private outcomeEvent(c: ClaimedDelivery, outcome: 'delivered' | 'failed', attempts: number, lastStatusCode: number | null, lastError: string | null, writeBack?: WriteBackRef) {
    const data = {
      deliveryId: c.id,
      endpointId: c.endpointId,
      projectId: c.projectId,
      triggerEventId: c.triggerEventId,
      triggerType: c.eventType,
      ...(c.workflowId ? { workflowId: c.workflowId } : {}),
      ...(c.stageId ? { stageId: c.stageId } : {}),
      ...(c.visitId ? { visitId: c.visitId } : {}),
      ...(c.itemId ? { itemId: c.itemId } : {}),
      // The contract counts attempts from 1; a delivery ended before any attempt reports 1.
      attempts: Math.max(1, attempts),
      lastStatusCode,
      lastError: storableNullable(lastError, MAX_ERROR_CHARS),
      at: new Date(this.now()).toISOString(),
    };
    return outcome === 'delivered'
      ? newEvent('delivery.webhook.delivered', { ...data, ...(writeBack ? { writeBack } : {}) }, { ...this.meta(c.projectId), causationId: c.triggerEventId, ...c.trace })
      : newEvent('delivery.webhook.failed', data, { ...this.meta(c.projectId), causationId: c.triggerEventId, ...c.trace });
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
