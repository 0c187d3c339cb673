import { jetstream, jetstreamManager, type ConsumerInfo, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import { silentLogger, Streams, type StructuredLogger } from '@stagehook/contracts';
import type { ConsumerContext } from './consumer/context.js';
import { deadLetter } from './consumer/dead-letters.js';
import { retryInPlace } from './consumer/in-place.js';
import { settle, typeLabel, type RunnerMsg, type Settlement } from './consumer/message.js';
import { defaultRetryBackoff, type ConsumerRunnerOptions } from './consumer/options.js';
import { PullLoop } from './consumer/pull-loop.js';
import { replayMsg, type ReplayMessage, type ReplayResult } from './consumer/replay.js';
import { routeMessage, type Delivery, type EventDelivery, type Routed } from './consumer/routing.js';
import { attemptBatch, attemptOne, type Attempt } from './consumer/transactions.js';
import { errorMessage, isTransientInfraError } from './errors.js';
import { GroupCommit } from './group-commit.js';
import { NothingToDo, prepareOf } from './handlers.js';
import { MessagingMetrics, type LagSource } from './metrics.js';
import { consumerSettings, ensureConsumer, ensureStreamsExist } from './provisioning.js';
import { DeadLetterRepository } from './repositories.js';
import { KeyedScheduler } from './scheduler.js';
import { sleep } from './sleep.js';

/** Events a batch consumer holds per parallel flush (at most maxBatch): what a flush can take at once. */
const BATCH_SLOTS_PER_FLUSH = 32;

export { DeadLetterHeaders } from './consumer/dead-letters.js';
export { defaultRetryBackoff, type ConsumerRunnerOptions } from './consumer/options.js';
export type { ReplayMessage, ReplayResult } from './consumer/replay.js';

export type RunnerState = 'new' | 'starting' | 'running' | 'stopping' | 'stopped';

/**
 * Consumes one durable pull consumer: validates each message, runs its handler exactly once in
 * effect (idempotency record and effect in one transaction), keeps per-aggregate order, and
 * dead-letters what cannot be handled. Framework-agnostic: `start()` / `stop()`.
 *
 * Its parts live in `consumer/`: pulling (pull-loop), validation and keys (routing), the
 * handler's transaction (transactions), dead letters (dead-letters), retries while a dependency is
 * down (in-place) and replays of dead letters (replay). This class holds them together and turns
 * each attempt into an ack, a nak or a dead letter.
 */
export class ConsumerRunner implements LagSource {
  readonly consumer: string;
  readonly #o: ConsumerRunnerOptions;
  readonly #ctx: ConsumerContext;
  readonly #log: StructuredLogger;
  readonly #streamName: string;
  readonly #durable: string;
  readonly #filterSubject: string;
  readonly #window: number;
  readonly #concurrency: number;
  readonly #drainTimeoutMs: number;
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
  #puller?: PullLoop<Delivery>;
  #loop?: Promise<void>;
  #ticker?: ReturnType<typeof setInterval>;
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
    // A batch consumer's events hold no connection while prepared or waiting for their group
    // commit (its `parallel` flushes do): it holds enough of them to fill its batches, or batches
    // could never be larger than `concurrency / parallel`, and a prepare (a request to another
    // service) would hold one of a handful of slots.
    const batchSlots = options.batch ? (options.batch.parallel ?? 2) * Math.min(options.batch.maxBatch ?? 100, BATCH_SLOTS_PER_FLUSH) : 0;
    this.#concurrency = Math.max(options.concurrency ?? 4, batchSlots);
    this.#window = Math.max(options.maxInFlight ?? Math.max(16, this.#concurrency * 4), this.#concurrency);
    this.#ackWaitMs = options.ackWaitMs ?? 30_000;
    this.#maxDeliver = options.maxDeliver ?? 10;
    this.#drainTimeoutMs = options.drainTimeoutMs ?? 30_000;
    this.#metrics = options.metrics ? MessagingMetrics.for(options.metrics) : undefined;
    this.#deadLetters = new DeadLetterRepository(options.dataSource);
    const retryBackoff = options.retryBackoff ?? defaultRetryBackoff;
    this.#ctx = {
      consumer: this.consumer,
      options,
      streamName: this.#streamName,
      log: this.#log,
      metrics: this.#metrics,
      hardStop: this.#hardStop.signal,
      retryBackoff,
      maxDeliver: () => this.#maxDeliver,
      jetstream: () => this.#jetstream(),
      settle: (msg, action, delayMs) => this.#settle(msg, action, delayMs),
    };
    const batch = options.batch;
    this.#batcher = batch ? new GroupCommit((ds: EventDelivery[]) => attemptBatch(this.#ctx, batch, ds), batch.maxBatch ?? 100, batch.parallel ?? 2) : undefined;
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
    this.#puller = new PullLoop(this.#ctx, {
      consumer: this.#jetstream().consumers.getConsumerFromInfo(info),
      window: this.#window,
      scheduler: this.#scheduler,
      stop: this.#stopPulling.signal,
      reprovision: this.#o.provision === false ? undefined : async () => this.#jetstream().consumers.getConsumerFromInfo(await this.#provision()),
      accept: (m) => this.#accept(m),
    });
    // One in-progress ack per held message every ackWait/3, for messages waiting behind their key
    // too: their ack timer runs from delivery, not from when their handler starts.
    this.#ticker = setInterval(() => this.#extendAckWait(), Math.max(50, Math.floor(this.#ackWaitMs / 3)));
    this.#metrics?.lagSources.add(this);
    this.#state = 'running';
    this.#loop = this.#puller.run().catch((err: unknown) => {
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
    this.#puller?.close();
    await this.#loop;
    const timer = new AbortController();
    const drained = await Promise.race([this.#scheduler.whenNothingRuns(timer.signal).then(() => true), sleep(this.#drainTimeoutMs, timer.signal).then(() => false)]);
    timer.abort();
    if (!drained) {
      this.#log.warn({ consumer: this.consumer, running: this.#scheduler.running }, 'messaging: drain timed out; the running messages are redelivered after their ack wait');
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
      let routed: Routed;
      try {
        routed = routeMessage(this.#ctx, msg);
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
    // The owning service sets stream limits with ensureStreams; here only what is missing, at the
    // service's replicas and size.
    await ensureStreamsExist(jsm, this.#o.namespace, [this.#o.stream, 'DEADLETTER'], this.#o.streamLimits);
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

  // ---- holding -----------------------------------------------------------------------------

  #accept(msg: JsMsg): void {
    // Pulled after stop() began: hand it straight back.
    if (this.#stopPulling.signal.aborted) {
      this.#settle(msg, 'nak');
      return;
    }
    let routed: Routed;
    try {
      routed = routeMessage(this.#ctx, msg);
    } catch (err) {
      this.#log.error({ consumer: this.consumer, seq: msg.seq, err: errorMessage(err) }, 'messaging: could not route a message');
      this.#settle(msg, 'nak', this.#ctx.retryBackoff(msg.info.deliveryCount));
      return;
    }
    if (routed === 'skip') {
      this.#settle(msg, 'ack');
      return;
    }
    this.#scheduler.push(routed.key, routed.delivery);
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
      await deadLetter(this.#ctx, this.#deadLetters, d.msg, d.reason, d.eventId, d.eventType);
      return;
    }
    const type = typeLabel(d.event.type);
    const started = performance.now();
    const tried = await retryInPlace(
      this.#ctx,
      'handle',
      async () => {
        // Before any transaction opens: requests to other services wait here, in place.
        const prepare = d.handler ? prepareOf(d.handler) : this.#o.batch?.prepare?.bind(this.#o.batch);
        const ready: EventDelivery = prepare ? { ...d, prepared: await prepare(d.event) } : d;
        if (ready.prepared === NothingToDo) return { kind: 'skipped' } as const;
        return ready.handler ? attemptOne(this.#ctx, ready, ready.handler) : this.#batcher!.submit(ready);
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
      case 'skipped':
        d.msg.nothingToDo?.();
        this.#settle(d.msg, 'ack');
        this.#metrics?.skipped.inc({ consumer: this.consumer, type });
        return;
      case 'ack':
        this.#settle(d.msg, 'ack');
        this.#metrics?.handled.inc({ consumer: this.consumer, type });
        this.#metrics?.handlingSeconds.observe({ consumer: this.consumer, type }, (performance.now() - started) / 1000);
        return;
      case 'dead-letter':
        await deadLetter(this.#ctx, this.#deadLetters, d.msg, attempt.reason, d.event.id, d.event.type);
        return;
      case 'retry':
      case 'failed': {
        const reason = attempt.kind === 'retry' ? attempt.reason : errorMessage(attempt.error);
        // The server stops delivering after max_deliver: the last failure must become a dead
        // letter here, or the message would sit in the stream unhandled and unrecorded.
        if (this.#maxDeliver > 0 && n >= this.#maxDeliver) {
          await deadLetter(this.#ctx, this.#deadLetters, d.msg, `failed after ${n} deliveries: ${reason}`, d.event.id, d.event.type);
          return;
        }
        const delayMs = attempt.kind === 'retry' && attempt.delayMs !== undefined ? attempt.delayMs : this.#ctx.retryBackoff(n);
        this.#settle(d.msg, 'nak', delayMs);
        this.#metrics?.retried.inc({ consumer: this.consumer, type });
        this.#log.warn({ consumer: this.consumer, eventId: d.event.id, type: d.event.type, deliveryCount: n, retryInMs: delayMs, reason }, 'messaging: handler will retry');
        return;
      }
    }
  }

  #settle(msg: RunnerMsg, action: Settlement, delayMs?: number): void {
    settle(msg, action, this.#log, this.consumer, delayMs);
  }
}
