import type { Consumer, ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import { errorMessage } from '../errors.js';
import type { KeyedScheduler } from '../scheduler.js';
import { exponentialBackoff, sleep } from '../sleep.js';
import type { ConsumerContext } from './context.js';

export interface PullLoopOptions<T> {
  consumer: Consumer;
  /** Messages held at once; a pull asks for what is free of it. */
  window: number;
  /** Where accepted messages wait for their key; its size is what the window counts. */
  scheduler: KeyedScheduler<T>;
  /** Aborted by the runner's stop(): no more pulls. */
  stop: AbortSignal;
  /** Creates the consumer again after the server lost it; undefined when the runner does not provision. */
  reprovision?: () => Promise<Consumer>;
  accept(msg: JsMsg): void;
}

/**
 * Pulls batches from the durable consumer while there is room in the window, until stopped. A
 * failed pull (NATS down, consumer deleted) is retried with backoff, re-creating the consumer when
 * the server no longer has it; nothing here drops a message.
 */
export class PullLoop<T> {
  #consumer: Consumer;
  #fetch?: ConsumerMessages;
  #needsProvision = false;

  constructor(
    private readonly ctx: ConsumerContext,
    private readonly o: PullLoopOptions<T>,
  ) {
    this.#consumer = o.consumer;
  }

  /** Ends the pull in progress, once `stop` is aborted. */
  close(): void {
    void this.#fetch?.close();
  }

  async run(): Promise<void> {
    const { ctx, o } = this;
    const stop = o.stop;
    // Refill when half the window is free: a pull costs about as much as handling a message on
    // this thread (~0.5 ms for a batch of one), so a busy runner must pull batches.
    const refillAt = o.window - Math.max(1, Math.floor(o.window / 2));
    let failures = 0;
    while (!stop.aborted) {
      await o.scheduler.waitForSizeAtMost(refillAt, stop);
      if (stop.aborted) break;
      if (ctx.options.nats.isClosed()) {
        ctx.log.error({ consumer: ctx.consumer }, 'messaging: NATS connection closed; no more pulls');
        break;
      }
      try {
        if (this.#needsProvision && o.reprovision) {
          this.#consumer = await o.reprovision();
          this.#needsProvision = false;
        }
        const iter = await this.#consumer.fetch({ max_messages: o.window - o.scheduler.size, expires: ctx.options.pullExpiresMs ?? 5_000 });
        this.#fetch = iter;
        // stop() ran while fetch() was being set up and found no fetch to close.
        if (stop.aborted) void iter.close();
        for await (const m of iter) o.accept(m);
        failures = 0;
      } catch (err) {
        failures++;
        const message = errorMessage(err);
        if (/consumer (not found|deleted)|stream not found/i.test(message)) this.#needsProvision = true;
        ctx.metrics?.infraErrors.inc({ consumer: ctx.consumer, stage: 'pull' });
        const wait = exponentialBackoff(failures, 250, 10_000);
        const log = { consumer: ctx.consumer, err: message, retryInMs: wait };
        if (failures > 3) ctx.log.error(log, 'messaging: pull failed');
        else ctx.log.warn(log, 'messaging: pull failed');
        await sleep(wait, stop);
      } finally {
        this.#fetch = undefined;
      }
    }
  }
}
