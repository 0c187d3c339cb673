import {
  jetstream,
  jetstreamManager,
  type Consumer,
  type ConsumerInfo,
  type ConsumerMessages,
  type DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import { headers as natsHeaders, type NatsConnection } from '@nats-io/nats-core';
import {
  isCatalogType,
  parseEvent,
  silentLogger,
  Streams,
  type BusNamespace,
  type CloudEvent,
  type StreamKey,
  type StructuredLogger,
} from '@stagehook/contracts';
import type { Registry } from 'prom-client';
import type { DataSource, QueryRunner } from 'typeorm';
import { traceBatch, traceHandler } from './consumer-tracing.js';
import { parseEnvelope } from './envelope.js';
import { errorMessage, isTransientInfraError } from './errors.js';
import { GroupCommit } from './group-commit.js';
import {
  handlerFor,
  prepareOf,
  Outcome,
  type AnyEventHandler,
  type BatchHandler,
  type EventHandlers,
  type HandlerContext,
  type HandlerOutcome,
} from './handlers.js';
import { MessagingMetrics, type LagSource } from './metrics.js';
import { encodePayload, headersToJson, headerValue, pgText } from './payload.js';
import { consumerSettings, ensureConsumer, ensureStreamsExist } from './provisioning.js';
import { DeadLetterRepository, HandledEventRepository } from './repositories.js';
import { KeyedScheduler } from './scheduler.js';
import { exponentialBackoff, sleep } from './sleep.js';

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
  /** Handlers running at once (different keys). Each holds a database connection. Default 4. */
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
  /** Bytes of a dead-lettered body kept in PostgreSQL. Default 64 KiB. */
  deadLetterPayloadCapBytes?: number;
  /** How long one pull request waits on an idle stream (min 1000). Default 5 s. */
  pullExpiresMs?: number;
}

export type RunnerState = 'new' | 'starting' | 'running' | 'stopping' | 'stopped';

/** Header names on the copies published to the DEADLETTER stream. */
export const DeadLetterHeaders = {
  Reason: 'Stagehook-Dead-Letter-Reason',
  Consumer: 'Stagehook-Dead-Letter-Consumer',
  Id: 'Stagehook-Dead-Letter-Id',
  Stream: 'Stagehook-Original-Stream',
  Subject: 'Stagehook-Original-Subject',
  Sequence: 'Stagehook-Original-Sequence',
  MsgId: 'Stagehook-Original-Msg-Id',
  DeliveryCount: 'Stagehook-Delivery-Count',
  EventId: 'Stagehook-Event-Id',
  EventType: 'Stagehook-Event-Type',
} as const;

export function defaultRetryBackoff(deliveryCount: number): number {
  return exponentialBackoff(deliveryCount, 1_000, 5 * 60_000);
}

type Delivery =
  /** `handler` null: the batch handler's type. */
  | { kind: 'event'; msg: JsMsg; event: CloudEvent; handler: AnyEventHandler | null; prepared?: unknown }
  | { kind: 'malformed'; msg: JsMsg; reason: string; eventId: string | null; eventType: string | null };

type EventDelivery = Extract<Delivery, { kind: 'event' }>;

type Attempt =
  | { kind: 'duplicate' }
  | { kind: 'ack' }
  | { kind: 'retry'; delayMs?: number; reason: string }
  | { kind: 'dead-letter'; reason: string }
  | { kind: 'failed'; error: unknown };

/** How a step retried in place ended. */
type InPlace<T> =
  | { ok: true; value: T }
  /** Shutdown or a closed NATS connection: hand the message back. */
  | { ok: false; gaveUp: true; error: unknown }
  /** A failure that is not an outage and persisted: the caller decides, never retried forever. */
  | { ok: false; gaveUp: false; error: unknown };

/** Tries for a failure that does not look like an outage (deadlocks, unclassified errors). */
const PERMANENT_TRIES = 3;

/** NATS publish failures that retrying cannot fix. */
const PERMANENT_PUBLISH = /max.?payload|too large|invalid subject|permissions? violation/i;

/**
 * Consumes one durable pull consumer: validates each message, runs its handler exactly once in
 * effect (idempotency record and effect in one transaction), keeps per-aggregate order, and
 * dead-letters what cannot be handled. Framework-agnostic: `start()` / `stop()`.
 */
export class ConsumerRunner implements LagSource {
  readonly consumer: string;
  readonly #o: ConsumerRunnerOptions;
  readonly #log: StructuredLogger;
  readonly #streamName: string;
  readonly #durable: string;
  readonly #filterSubject: string;
  readonly #window: number;
  readonly #concurrency: number;
  readonly #drainTimeoutMs: number;
  readonly #retryBackoff: (n: number) => number;
  readonly #metrics: MessagingMetrics | undefined;
  readonly #deadLetters: DeadLetterRepository;
  readonly #scheduler: KeyedScheduler<Delivery>;
  readonly #batcher: GroupCommit<EventDelivery, Attempt> | undefined;
  /** Aborted by stop(): no more pulls. */
  readonly #stopPulling = new AbortController();
  /** Aborted when the drain times out: in-place retries give up. */
  readonly #hardStop = new AbortController();

  #state: RunnerState = 'new';
  #starting?: Promise<void>;
  #stopping?: Promise<void>;
  #jsm?: JetStreamManager;
  #js?: JetStreamClient;
  #pullConsumer?: Consumer;
  #fetch?: ConsumerMessages;
  #loop?: Promise<void>;
  #ticker?: ReturnType<typeof setInterval>;
  #needsProvision = false;
  #ackWaitMs: number;
  #maxDeliver: number;

  constructor(options: ConsumerRunnerOptions) {
    this.#o = options;
    this.consumer = options.durable;
    if (!/^[A-Za-z0-9_-]+$/.test(options.durable)) throw new Error(`invalid durable name '${options.durable}'`);
    this.#log = options.logger ?? silentLogger;
    this.#streamName = options.namespace.streamName(options.stream);
    this.#durable = options.namespace.durable(options.durable);
    this.#filterSubject = options.namespace.subject(options.filterSubject ?? Streams[options.stream].subjects[0]);
    this.#concurrency = options.concurrency ?? 4;
    this.#window = Math.max(options.maxInFlight ?? Math.max(16, this.#concurrency * 4), this.#concurrency);
    this.#ackWaitMs = options.ackWaitMs ?? 30_000;
    this.#maxDeliver = options.maxDeliver ?? 10;
    this.#drainTimeoutMs = options.drainTimeoutMs ?? 30_000;
    this.#retryBackoff = options.retryBackoff ?? defaultRetryBackoff;
    this.#metrics = options.metrics ? MessagingMetrics.for(options.metrics) : undefined;
    this.#deadLetters = new DeadLetterRepository(options.dataSource);
    const batch = options.batch;
    this.#batcher = batch ? new GroupCommit((ds: EventDelivery[]) => this.#attemptBatch(batch, ds), batch.maxBatch ?? 100, batch.parallel ?? 2) : undefined;
    this.#scheduler = new KeyedScheduler<Delivery>({
      concurrency: this.#concurrency,
      run: (d) => this.#process(d),
      onError: (err, d) => {
        // #process handles its own errors; reaching here is a bug. The message is redelivered.
        this.#log.error({ consumer: this.consumer, seq: d.msg.seq, err: errorMessage(err) }, 'messaging: unexpected error');
        this.#settle(d.msg, 'nak');
      },
    });
  }

  get state(): RunnerState {
    return this.#state;
  }

  /** Messages held: running handlers and messages waiting behind their key. */
  inFlight(): { running: number; queued: number } {
    return { running: this.#scheduler.running, queued: this.#scheduler.queued };
  }

  /** Provisions the consumer (unless `provision: false`) and starts pulling. Throws if NATS refuses. */
  start(): Promise<void> {
    if (this.#state !== 'new') return this.#starting ?? Promise.reject(new Error(`runner ${this.consumer} is ${this.#state}`));
    this.#state = 'starting';
    this.#starting = this.#start();
    return this.#starting;
  }

  async #start(): Promise<void> {
    let info: ConsumerInfo;
    try {
      info = await this.#provision();
    } catch (err) {
      this.#state = 'stopped';
      throw err;
    }
    const settings = consumerSettings(info);
    this.#ackWaitMs = settings.ackWaitMs;
    this.#maxDeliver = settings.maxDeliver;
    this.#pullConsumer = this.#jetstream().consumers.getConsumerFromInfo(info);
    // One in-progress ack per held message every ackWait/3, for messages waiting behind their key
    // too: their ack timer runs from delivery, not from when their handler starts.
    this.#ticker = setInterval(() => this.#extendAckWait(), Math.max(50, Math.floor(this.#ackWaitMs / 3)));
    this.#metrics?.lagSources.add(this);
    this.#state = 'running';
    this.#loop = this.#pullLoop().catch((err: unknown) => {
      this.#log.error({ consumer: this.consumer, err: errorMessage(err) }, 'messaging: pull loop crashed');
    });
    this.#log.info(
      { consumer: this.consumer, durable: this.#durable, stream: this.#streamName, filter: this.#filterSubject, concurrency: this.#concurrency, window: this.#window },
      'messaging: consumer started',
    );
  }

  /**
   * Stops pulling, naks the messages not started (another replica takes them at once), waits for
   * running handlers up to the drain timeout, and resolves. Idempotent.
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    if (this.#state === 'new') {
      this.#state = 'stopped';
      return;
    }
    await this.#starting?.catch(() => undefined);
    if (this.#state === 'stopped') return;
    this.#state = 'stopping';
    // From here #accept naks whatever the current pull still yields.
    this.#stopPulling.abort();
    // Hand back what has not started before anything else finishes and dispatches it.
    const unstarted = this.#scheduler.takeQueued();
    for (const d of unstarted) this.#settle(d.msg, 'nak');
    void this.#fetch?.close();
    await this.#loop;
    const timer = new AbortController();
    const drained = await Promise.race([
      this.#scheduler.whenNothingRuns(timer.signal).then(() => true),
      sleep(this.#drainTimeoutMs, timer.signal).then(() => false),
    ]);
    timer.abort();
    if (!drained) {
      this.#log.warn(
        { consumer: this.consumer, running: this.#scheduler.running },
        'messaging: drain timed out; the running messages are redelivered after their ack wait',
      );
      this.#hardStop.abort();
    }
    clearInterval(this.#ticker);
    this.#metrics?.lagSources.delete(this);
    this.#state = 'stopped';
    this.#log.info({ consumer: this.consumer, naked: unstarted.length, drained }, 'messaging: consumer stopped');
  }

  /** The consumer's backlog: not yet delivered, and delivered but not acked. */
  async lag(): Promise<{ pending: number; ackPending: number }> {
    const info = await (await this.#manager()).consumers.info(this.#streamName, this.#durable);
    return { pending: info.num_pending, ackPending: info.num_ack_pending };
  }

  /**
   * Runs one dead-lettered message through this consumer again, as its last delivery: the same
   * validation, handler, idempotency record and transaction as a delivery from the stream, so an
   * event already handled is acked as a duplicate and never has its effect twice. A failure
   * dead-letters it again (the same msg_dead_letters row, with the new reason) instead of a nak.
   * Not queued behind its key: handlers already tolerate reordering (replicas, naks).
   */
  async replay(m: ReplayMessage): Promise<ReplayResult> {
    if (this.#state !== 'running') throw new Error(`consumer ${this.consumer} is ${this.#state}`);
    return new Promise<ReplayResult>((resolve) => {
      const msg = replayMsg(m, this.#maxDeliver, resolve);
      let routed: { key: string; delivery: Delivery } | 'skip';
      try {
        routed = this.#route(msg);
      } catch (err) {
        resolve('failed');
        this.#log.error({ consumer: this.consumer, err: errorMessage(err) }, 'messaging: could not route a replayed message');
        return;
      }
      if (routed === 'skip') return resolve('skipped');
      this.#process(routed.delivery).catch((err: unknown) => {
        this.#log.error({ consumer: this.consumer, err: errorMessage(err) }, 'messaging: replay failed');
        resolve('failed');
      });
    });
  }

  // ---- provisioning ------------------------------------------------------------------------

  #jetstream(): JetStreamClient {
    this.#js ??= jetstream(this.#o.nats);
    return this.#js;
  }

  async #manager(): Promise<JetStreamManager> {
    this.#jsm ??= await jetstreamManager(this.#o.nats);
    return this.#jsm;
  }

  async #provision(): Promise<ConsumerInfo> {
    const jsm = await this.#manager();
    if (this.#o.provision === false) return jsm.consumers.info(this.#streamName, this.#durable);
    // The owning service sets stream limits with ensureStreams; here only what is missing.
    await ensureStreamsExist(jsm, this.#o.namespace, [this.#o.stream, 'DEADLETTER']);
    return ensureConsumer(jsm, {
      stream: this.#streamName,
      durable: this.#durable,
      filterSubject: this.#filterSubject,
      ackWaitMs: this.#ackWaitMs,
      maxDeliver: this.#maxDeliver,
      maxAckPending: this.#o.maxAckPending ?? 1000,
      deliverPolicy: this.#o.deliverPolicy,
      description: `Stagehook consumer ${this.consumer}`,
    });
  }

  // ---- pulling -----------------------------------------------------------------------------

  async #pullLoop(): Promise<void> {
    const stop = this.#stopPulling.signal;
    // Refill when half the window is free: a pull costs about as much as handling a message on
    // this thread (~0.5 ms for a batch of one), so a busy runner must pull batches.
    const refillAt = this.#window - Math.max(1, Math.floor(this.#window / 2));
    let failures = 0;
    while (!stop.aborted) {
      await this.#scheduler.waitForSizeAtMost(refillAt, stop);
      if (stop.aborted) break;
      if (this.#o.nats.isClosed()) {
        this.#log.error({ consumer: this.consumer }, 'messaging: NATS connection closed; no more pulls');
        break;
      }
      try {
        if (this.#needsProvision && this.#o.provision !== false) {
          this.#pullConsumer = this.#jetstream().consumers.getConsumerFromInfo(await this.#provision());
          this.#needsProvision = false;
        }
        const iter = await this.#pullConsumer!.fetch({ max_messages: this.#window - this.#scheduler.size, expires: this.#o.pullExpiresMs ?? 5_000 });
        this.#fetch = iter;
        // stop() ran while fetch() was being set up and found no fetch to close.
        if (stop.aborted) void iter.close();
        for await (const m of iter) this.#accept(m);
        failures = 0;
      } catch (err) {
        failures++;
        const message = errorMessage(err);
        if (/consumer (not found|deleted)|stream not found/i.test(message)) this.#needsProvision = true;
        this.#metrics?.infraErrors.inc({ consumer: this.consumer, stage: 'pull' });
        const wait = exponentialBackoff(failures, 250, 10_000);
        this.#logAt(failures > 3 ? 'error' : 'warn', { consumer: this.consumer, err: message, retryInMs: wait }, 'messaging: pull failed');
        await sleep(wait, stop);
      } finally {
        this.#fetch = undefined;
      }
    }
  }

  #accept(msg: JsMsg): void {
    // Pulled after stop() began: hand it straight back.
    if (this.#stopPulling.signal.aborted) {
      this.#settle(msg, 'nak');
      return;
    }
    let routed: { key: string; delivery: Delivery } | 'skip';
    try {
      routed = this.#route(msg);
    } catch (err) {
      this.#log.error({ consumer: this.consumer, seq: msg.seq, err: errorMessage(err) }, 'messaging: could not route a message');
      this.#settle(msg, 'nak', this.#retryBackoff(msg.info.deliveryCount));
      return;
    }
    if (routed === 'skip') {
      this.#settle(msg, 'ack');
      return;
    }
    this.#scheduler.push(routed.key, routed.delivery);
  }

  #route(msg: JsMsg): { key: string; delivery: Delivery } | 'skip' {
    const malformed = (reason: string, eventId: string | null, eventType: string | null) => ({
      // Malformed messages have no trustworthy key: each gets its own, so it never waits on another.
      key: `m:${msg.seq}`,
      delivery: { kind: 'malformed' as const, msg, reason, eventId: eventId ?? (msg.headers?.get('Nats-Msg-Id') || null), eventType },
    });
    const env = parseEnvelope(msg.data);
    if (!env.ok) return malformed(env.reason, env.id ?? null, env.type ?? null);
    const e = env.value;
    const subjectType = this.#o.namespace.eventType(msg.subject);
    if (this.#o.foreign) {
      if (e.type !== this.#o.foreign.typeOfSubject(subjectType)) return malformed(`type: '${e.type}' does not match the subject '${msg.subject}'`, e.id, e.type);
      return { key: e.subject ? `s:${e.subject}` : `e:${e.id}`, delivery: { kind: 'event', msg, event: e, handler: this.#o.foreign.handler } };
    }
    if (e.type !== subjectType) return malformed(`type: '${e.type}' does not match the subject '${msg.subject}'`, e.id, e.type);
    const handler = this.#o.batch?.types.includes(e.type) ? null : handlerFor(this.#o.handlers, e.type);
    if (handler === undefined) {
      this.#metrics?.skipped.inc({ consumer: this.consumer, type: typeLabel(e.type) });
      return 'skip';
    }
    const parsed = parseEvent(msg.data);
    if (!parsed.ok) return malformed(parsed.reason, e.id, e.type);
    // Per-aggregate order: the CloudEvents subject is the aggregate's stream id.
    const key = e.subject ? `s:${e.subject}` : `e:${e.id}`;
    return { key, delivery: { kind: 'event', msg, event: parsed.value, handler } };
  }

  #extendAckWait(): void {
    for (const d of this.#scheduler.held()) {
      try {
        d.msg.working();
      } catch {
        // connection closed: the message is redelivered after its ack wait, which is what we want
      }
    }
  }

  // ---- handling ----------------------------------------------------------------------------

  async #process(d: Delivery): Promise<void> {
    if (d.kind === 'malformed') {
      await this.#deadLetter(d.msg, d.reason, d.eventId, d.eventType);
      return;
    }
    const type = typeLabel(d.event.type);
    const started = performance.now();
    const tried = await this.#retryInPlace(
      'handle',
      async () => {
        // Before any transaction opens: requests to other services wait here, in place.
        const prepare = d.handler ? prepareOf(d.handler) : this.#o.batch?.prepare?.bind(this.#o.batch);
        const ready: EventDelivery = prepare ? { ...d, prepared: await prepare(d.event) } : d;
        return ready.handler ? this.#attempt(ready, ready.handler) : this.#batcher!.submit(ready);
      },
      isTransientInfraError,
    );
    if (!tried.ok && tried.gaveUp) {
      this.#settle(d.msg, 'nak');
      return;
    }
    // Our own steps failing for good (a missing table, a constraint) count as a failed delivery.
    const attempt: Attempt = tried.ok ? tried.value : { kind: 'failed', error: tried.error };
    const n = d.msg.info.deliveryCount;
    switch (attempt.kind) {
      case 'duplicate':
        this.#settle(d.msg, 'ack');
        this.#metrics?.duplicates.inc({ consumer: this.consumer, type });
        this.#log.debug({ consumer: this.consumer, eventId: d.event.id, deliveryCount: n }, 'messaging: duplicate skipped');
        return;
      case 'ack':
        this.#settle(d.msg, 'ack');
        this.#metrics?.handled.inc({ consumer: this.consumer, type });
        this.#metrics?.handlingSeconds.observe({ consumer: this.consumer, type }, (performance.now() - started) / 1000);
        return;
      case 'dead-letter':
        await this.#deadLetter(d.msg, attempt.reason, d.event.id, d.event.type);
        return;
      case 'retry':
      case 'failed': {
        const reason = attempt.kind === 'retry' ? attempt.reason : errorMessage(attempt.error);
        // The server stops delivering after max_deliver: the last failure must become a dead
        // letter here, or the message would sit in the stream unhandled and unrecorded.
        if (this.#maxDeliver > 0 && n >= this.#maxDeliver) {
          await this.#deadLetter(d.msg, `failed after ${n} deliveries: ${reason}`, d.event.id, d.event.type);
          return;
        }
        const delayMs = attempt.kind === 'retry' && attempt.delayMs !== undefined ? attempt.delayMs : this.#retryBackoff(n);
        this.#settle(d.msg, 'nak', delayMs);
        this.#metrics?.retried.inc({ consumer: this.consumer, type });
        this.#log.warn({ consumer: this.consumer, eventId: d.event.id, type: d.event.type, deliveryCount: n, retryInMs: delayMs, reason }, 'messaging: handler will retry');
        return;
      }
    }
  }

  /** One try: claim, handler, commit. Throws only for infrastructure errors (retried in place). */
  #attempt(d: EventDelivery, handler: AnyEventHandler): Promise<Attempt> {
    return this.#inTransaction(async (qr): Promise<Attempt> => {
      const claimed = await new HandledEventRepository(qr.manager).claim(this.consumer, d.event.id);
      if (!claimed) {
        await qr.rollbackTransaction();
        return { kind: 'duplicate' };
      }
      let outcome: HandlerOutcome | undefined;
      try {
        outcome = (await traceHandler(this.consumer, d.event, async () => handler(d.event, { ...this.#context(qr, d.msg), prepared: d.prepared }))) ?? undefined;
      } catch (err) {
        if (isTransientInfraError(err)) throw err;
        await rollbackQuietly(qr);
        return { kind: 'failed', error: err };
      }
      if (outcome && outcome.kind !== 'ack') {
        await rollbackQuietly(qr);
        return outcome;
      }
      const aborted = await this.#abortedTransaction(qr);
      if (aborted) {
        await rollbackQuietly(qr);
        return { kind: 'failed', error: aborted };
      }
      // If COMMIT's reply is lost the outcome is unknown; the retry claims again and, if the
      // commit did happen, sees a duplicate and acks.
      await qr.commitTransaction();
      return { kind: 'ack' };
    });
  }

  /**
   * One transaction for many events: claims in one statement, the batch handler, the claims of
   * events it did not ack taken back, commit. Throws for the caller (GroupCommit) to try each
   * event alone; an event alone whose handler fails for good is a failed delivery, as with
   * single handlers.
   */
  #attemptBatch(batch: BatchHandler, ds: EventDelivery[]): Promise<Attempt[]> {
    return this.#inTransaction(async (qr): Promise<Attempt[]> => {
      // A handler failing for good fails its event when it is alone; in a batch, every event is
      // then tried alone.
      const failAlone = async (err: unknown): Promise<Attempt[]> => {
        if (ds.length > 1) throw err;
        await rollbackQuietly(qr);
        return [{ kind: 'failed', error: err }];
      };
      const handled = new HandledEventRepository(qr.manager);
      const claimed = await handled.claimMany(this.consumer, ds.map((d) => d.event.id));
      // An id twice in one batch (a republished copy) is handled once: the first occurrence.
      const fresh = ds.filter((d) => claimed.delete(d.event.id));
      let outcomes: (HandlerOutcome | undefined)[] = [];
      const committed: (() => void)[] = [];
      if (fresh.length > 0) {
        try {
          outcomes =
            (await traceBatch(this.consumer, fresh.map((d) => d.event), () => batch.handle(
              fresh.map((d) => ({ event: d.event, prepared: d.prepared, deliveryCount: d.msg.info.deliveryCount, streamSequence: d.msg.seq, subject: d.msg.subject })),
              { manager: qr.manager, consumer: this.consumer, maxDeliver: this.#maxDeliver, logger: this.#log, afterCommit: (fn) => committed.push(fn) },
            ))) ?? fresh.map(() => undefined);
        } catch (err) {
          if (isTransientInfraError(err)) throw err;
          return failAlone(err);
        }
        if (outcomes.length !== fresh.length) throw new Error(`batch handler returned ${outcomes.length} outcomes for ${fresh.length} events`);
        const aborted = await this.#abortedTransaction(qr);
        if (aborted) return failAlone(aborted);
      }
      const byId = new Map<string, HandlerOutcome>(fresh.map((d, i) => [d.event.id, outcomes[i] ?? Outcome.ack()]));
      await handled.unclaim(
        this.consumer,
        [...byId].filter(([, o]) => o.kind !== 'ack').map(([id]) => id),
      );
      await qr.commitTransaction();
      for (const fn of committed) {
        try {
          fn();
        } catch (err) {
          this.#log.error({ consumer: this.consumer, err: errorMessage(err) }, 'messaging: an after-commit callback failed');
        }
      }
      const seen = new Set<string>();
      return ds.map((d): Attempt => {
        const o = byId.get(d.event.id);
        if (!o || seen.has(d.event.id)) return { kind: 'duplicate' };
        seen.add(d.event.id);
        return o;
      });
    });
  }

  /** `fn` inside a transaction on its own connection, rolled back if it throws. */
  async #inTransaction<T>(fn: (qr: QueryRunner) => Promise<T>): Promise<T> {
    const qr = this.#o.dataSource.createQueryRunner();
    try {
      await qr.connect();
      await qr.startTransaction();
      return await fn(qr);
    } catch (err) {
      await rollbackQuietly(qr);
      throw err;
    } finally {
      await qr.release().catch(() => undefined);
    }
  }

  /**
   * PostgreSQL answers COMMIT of an aborted transaction (a handler that caught a SQL error and
   * returned normally) with a silent ROLLBACK, and TypeORM does not check: probe first, so an
   * effect that was not committed is never acked. The error to fail with, or null.
   */
  async #abortedTransaction(qr: QueryRunner): Promise<Error | null> {
    try {
      await qr.query('SELECT 1');
      return null;
    } catch (err) {
      if (isTransientInfraError(err)) throw err;
      return new Error(`the handler left its transaction aborted (${errorMessage(err)})`);
    }
  }

  #context(qr: QueryRunner, msg: JsMsg): HandlerContext {
    return {
      manager: qr.manager,
      consumer: this.consumer,
      deliveryCount: msg.info.deliveryCount,
      maxDeliver: this.#maxDeliver,
      streamSequence: msg.seq,
      subject: msg.subject,
      logger: this.#log,
    };
  }

  /**
   * Records the dead letter in PostgreSQL (the durable record), publishes a copy to the
   * DEADLETTER stream, then terminates the message. A failure in between naks instead: the retry
   * updates the same row and the copy is deduplicated by its msg id.
   */
  async #deadLetter(msg: JsMsg, reason: string, eventId: string | null, eventType: string | null): Promise<void> {
    // One spelling for the row, the header and the log.
    reason = pgText(reason);
    const body = encodePayload(msg.data, this.#o.deadLetterPayloadCapBytes);
    const recorded = await this.#retryInPlace('dead-letter-record', () =>
      this.#deadLetters.record({
        consumer: this.consumer,
        stream: this.#streamName,
        subject: msg.subject,
        streamSeq: msg.seq,
        storedAt: storeTime(msg),
        eventId,
        eventType,
        reason,
        payload: body.payload,
        payloadEncoding: body.encoding,
        payloadBytes: body.bytes,
        payloadTruncated: body.truncated,
        headers: headersToJson(msg.headers),
        deliveryCount: msg.info.deliveryCount,
      }),
      isTransientInfraError,
    );
    if (!recorded.ok) {
      if (!recorded.gaveUp) {
        // Not recorded, so not termed: it comes back after a backoff and is tried again.
        this.#log.error(
          { consumer: this.consumer, seq: msg.seq, reason, err: errorMessage(recorded.error) },
          'messaging: could not record a dead letter',
        );
      }
      this.#settle(msg, 'nak', recorded.gaveUp ? undefined : this.#retryBackoff(msg.info.deliveryCount));
      return;
    }
    const row = recorded.value;
    const h = natsHeaders();
    if (msg.headers) {
      for (const k of msg.headers.keys()) {
        // Nats-* headers instruct the server (dedupe, expectations, TTL): they must not apply to the copy.
        if (k.toLowerCase().startsWith('nats-')) continue;
        for (const v of msg.headers.values(k)) h.append(k, v);
      }
      const msgId = msg.headers.get('Nats-Msg-Id');
      if (msgId) h.set(DeadLetterHeaders.MsgId, headerValue(msgId));
    }
    h.set(DeadLetterHeaders.Reason, headerValue(reason));
    h.set(DeadLetterHeaders.Consumer, this.consumer);
    h.set(DeadLetterHeaders.Id, row.id);
    h.set(DeadLetterHeaders.Stream, this.#streamName);
    h.set(DeadLetterHeaders.Subject, msg.subject);
    h.set(DeadLetterHeaders.Sequence, String(msg.seq));
    h.set(DeadLetterHeaders.DeliveryCount, String(msg.info.deliveryCount));
    if (eventId) h.set(DeadLetterHeaders.EventId, headerValue(eventId));
    if (eventType) h.set(DeadLetterHeaders.EventType, headerValue(eventType));
    const subject = this.#o.namespace.deadLetterSubject(this.consumer);
    const published = await this.#retryInPlace(
      'dead-letter-publish',
      // The row id is only unique within one service's database, while every service publishes
      // into the one DEADLETTER stream: without the consumer in the id, the stream's duplicate
      // window would silently drop another service's copy that happens to have the same row id.
      () => this.#jetstream().publish(subject, msg.data, { msgID: `dl-${this.consumer}-${row.id}`, headers: h }),
      (err) => !PERMANENT_PUBLISH.test(errorMessage(err)),
    );
    if (!published.ok && published.gaveUp) {
      // Recorded but not copied: the redelivery updates the same row and publishes the copy.
      this.#settle(msg, 'nak');
      return;
    }
    if (!published.ok) {
      // PostgreSQL holds the dead letter; the stream copy is a convenience that cannot be made.
      this.#log.error({ consumer: this.consumer, seq: msg.seq, deadLetterId: row.id, err: errorMessage(published.error) }, 'messaging: dead-letter copy not published');
    }
    this.#settle(msg, 'term');
    this.#metrics?.deadLettered.inc({ consumer: this.consumer, type: typeLabel(eventType) });
    this.#log.warn(
      { consumer: this.consumer, seq: msg.seq, eventId, type: eventType, deliveryCount: msg.info.deliveryCount, reason, deadLetterId: row.id },
      'messaging: dead-lettered',
    );
  }

  /**
   * Retries `fn` in place while the database or NATS is unavailable, with backoff. The message
   * stays held (in-progress acks continue), so an outage does not spend its deliveries or reorder
   * its key. Other failures get a few tries and are returned, so one bad message never holds its
   * key (or, at concurrency 1, the consumer) forever. Gives up when the drain times out or the
   * NATS connection is closed for good.
   */
  async #retryInPlace<T>(stage: string, fn: () => Promise<T>, isTransient: (err: unknown) => boolean): Promise<InPlace<T>> {
    for (let attempt = 1; ; attempt++) {
      try {
        return { ok: true, value: await fn() };
      } catch (err) {
        this.#metrics?.infraErrors.inc({ consumer: this.consumer, stage });
        if (this.#hardStop.signal.aborted || this.#o.nats.isClosed()) {
          this.#log.error({ consumer: this.consumer, stage, err: errorMessage(err) }, 'messaging: giving up on a message during shutdown');
          return { ok: false, gaveUp: true, error: err };
        }
        if (!isTransient(err) && attempt >= PERMANENT_TRIES) return { ok: false, gaveUp: false, error: err };
        const wait = exponentialBackoff(attempt, 100, 5_000);
        this.#logAt(
          attempt > 3 ? 'error' : 'warn',
          { consumer: this.consumer, stage, attempt, retryInMs: wait, err: errorMessage(err) },
          'messaging: infrastructure error, retrying',
        );
        await sleep(wait, this.#hardStop.signal);
      }
    }
  }

  #logAt(level: 'warn' | 'error', obj: object, msg: string): void {
    if (level === 'error') this.#log.error(obj, msg);
    else this.#log.warn(obj, msg);
  }

  #settle(msg: JsMsg, action: 'ack' | 'nak' | 'term', delayMs?: number): void {
    try {
      if (action === 'ack') msg.ack();
      else if (action === 'nak') msg.nak(delayMs);
      else msg.term();
    } catch (err) {
      // The connection is closed: the server redelivers after the ack wait, and the idempotency
      // record turns that into a duplicate if the effect was committed.
      this.#log.warn({ consumer: this.consumer, seq: msg.seq, action, err: errorMessage(err) }, 'messaging: could not settle a message');
    }
  }
}

async function rollbackQuietly(qr: QueryRunner): Promise<void> {
  if (!qr.isTransactionActive) return;
  try {
    await qr.rollbackTransaction();
  } catch {
    // the connection is gone; PostgreSQL rolls the transaction back itself
  }
}

/** Metric label for an event type: catalog types only, so a stream of junk cannot explode cardinality. */
function typeLabel(type: string | null): string {
  return type && isCatalogType(type) ? type : 'unknown';
}

/** A dead-lettered message to run through its consumer again. */
export interface ReplayMessage {
  data: Uint8Array;
  subject: string;
  /** The original stream sequence and store time: a new dead letter updates the same row. */
  streamSeq: number;
  storedAt: Date;
  headers: Record<string, string[]>;
}

/**
 * `ack`: handled now, or found handled before (idempotency). `term`: dead-lettered again.
 * `nak`: not settled (shutdown, or a consumer without a delivery limit). `skipped`: this consumer
 * has no handler for its type. `failed`: the runner itself failed.
 */
export type ReplayResult = 'ack' | 'nak' | 'term' | 'skipped' | 'failed';

/**
 * A stand-in for the JsMsg of a replay: what the runner reads of a message (data, subject,
 * sequence, headers, delivery count, store time) and its settle calls, reported to `settled`.
 * It claims to be the last delivery, so a failure dead-letters at once.
 */
export function replayMsg(m: ReplayMessage, maxDeliver: number, settled: (r: ReplayResult) => void): JsMsg {
  const h = natsHeaders();
  for (const [k, vs] of Object.entries(m.headers)) for (const v of vs) h.append(k, v);
  const stand = {
    data: m.data,
    subject: m.subject,
    seq: m.streamSeq,
    headers: Object.keys(m.headers).length > 0 ? h : undefined,
    redelivered: true,
    info: { deliveryCount: maxDeliver > 0 ? maxDeliver : 1, timestampNanos: m.storedAt.getTime() * 1_000_000, redeliveryCount: maxDeliver },
    ack: () => settled('ack'),
    nak: () => settled('nak'),
    term: () => settled('term'),
    working: () => undefined,
  };
  // The runner reads only the members above; the rest of JsMsg (reply subjects, acks with a
  // server round trip) has no meaning for a message that is not held by the server.
  const msg = stand as unknown as JsMsg;
  replayStoreTimes.set(msg, m.storedAt);
  return msg;
}

/** The recorded store time of replayed messages: exact, not rebuilt from nanoseconds. */
const replayStoreTimes = new WeakMap<JsMsg, Date>();

/**
 * The stream's store time of a message, to the millisecond: the same on every delivery and on a
 * replay, since it keys the dead-letter row a message updates. A replay carries the time the row
 * recorded; rebuilding it as nanoseconds (ms × 10⁶, beyond 2⁵³ and so rounded to a multiple of
 * 256) and flooring back lands on the millisecond before for about one time in eight, which made
 * a replay that failed again a second dead letter instead of an update of the first.
 */
export function storeTime(msg: JsMsg): Date {
  return replayStoreTimes.get(msg) ?? new Date(Math.floor(msg.info.timestampNanos / 1_000_000));
}
