import type { BeforeApplicationShutdown, FactoryProvider, InjectionToken, OnApplicationBootstrap } from '@nestjs/common';
import { ConsumerRunner, type ConsumerRunnerOptions } from './runner.js';

/**
 * Starts a service's consumers once the application has bootstrapped and drains them before
 * shutdown. Nest runs `beforeApplicationShutdown` after every `onModuleDestroy`: the NATS
 * connection and the DataSource must be closed later (`onApplicationShutdown`, as
 * @nestjs/typeorm does), or the drain cannot ack or commit.
 */
export class ConsumerHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(readonly runners: readonly ConsumerRunner[]) {}

  async onApplicationBootstrap(): Promise<void> {
    const started: ConsumerRunner[] = [];
    try {
      for (const r of this.runners) {
        await r.start();
        started.push(r);
      }
    } catch (err) {
      await Promise.allSettled(started.map((r) => r.stop()));
      throw err;
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all(this.runners.map((r) => r.stop()));
  }
}

export interface ConsumersProviderOptions<Deps extends unknown[]> {
  /** Default: the ConsumerHost class. Give each host its own token if a module has several. */
  provide?: InjectionToken;
  inject: InjectionToken[];
  /** Receives the injected values in `inject` order. */
  useFactory: (...deps: Deps) => ConsumerRunnerOptions[] | Promise<ConsumerRunnerOptions[]>;
}

/** A provider that builds the module's consumers from injected dependencies and hosts them. */
export function consumersProvider<Deps extends unknown[]>(opts: ConsumersProviderOptions<Deps>): FactoryProvider<ConsumerHost> {
  return {
    provide: opts.provide ?? ConsumerHost,
    inject: opts.inject,
    useFactory: async (...deps: Deps) => new ConsumerHost((await opts.useFactory(...deps)).map((o) => new ConsumerRunner(o))),
  };
}
