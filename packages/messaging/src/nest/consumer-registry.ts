import { Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import type { ConsumerRunner } from '../runner.js';

/**
 * The consumers a process runs, whoever built them (the JetStream transport, or a module's
 * ConsumerHost): started together, stopped together before Nest's shutdown hooks close the NATS
 * connection and the DataSource (`onApplicationShutdown`), so the drain can still ack and commit.
 * The dead-letter redrive finds a consumer's runner here.
 */
@Injectable()
export class ConsumerRegistry implements BeforeApplicationShutdown {
  #runners: ConsumerRunner[] = [];

  get runners(): readonly ConsumerRunner[] {
    return this.#runners;
  }

  /** Starts the runners one by one; if one cannot start, stops those started and throws. */
  async start(runners: readonly ConsumerRunner[]): Promise<void> {
    const taken = new Set(this.#runners.map((r) => r.consumer));
    for (const r of runners) {
      if (taken.has(r.consumer)) throw new Error(`two consumers named '${r.consumer}' in one process`);
      taken.add(r.consumer);
    }
    const started: ConsumerRunner[] = [];
    try {
      for (const r of runners) {
        await r.start();
        started.push(r);
      }
    } catch (err) {
      await Promise.allSettled(started.map((r) => r.stop()));
      throw err;
    }
    this.#runners.push(...started);
  }

  /** Drains every runner (each stop is idempotent). */
  async stop(): Promise<void> {
    await Promise.all(this.#runners.map((r) => r.stop()));
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.stop();
  }
}
