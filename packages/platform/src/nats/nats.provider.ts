import { hostname } from 'node:os';
import { Inject, Injectable, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { BaseConfig } from '../config/base-config.js';
import { LOGGER } from '../logging/logger.js';

/** Injection token of the service's one NATS connection. */
export const NATS_CONNECTION = 'NATS_CONNECTION';

export type { NatsConnection } from '@nats-io/transport-node';

/** How the connection is named in NATS monitoring: which service, which replica. */
export function natsConnectionName(config: Pick<BaseConfig, 'SERVICE_NAME'>): string {
  return `${config.SERVICE_NAME}@${hostname()}:${process.pid}`;
}

/**
 * Connects once at boot (a service that cannot reach NATS at start fails fast, and its
 * orchestrator restarts it); after that it reconnects forever, because a service that gave up
 * on NATS would sit there healthy-looking and useless.
 */
export async function connectNats(config: Pick<BaseConfig, 'SERVICE_NAME' | 'NATS_URL'>, logger: Logger): Promise<NatsConnection> {
  const log = logger.child({ component: 'nats' });
  const nc = await connect({
    servers: config.NATS_URL.split(',').map((s) => s.trim()),
    name: natsConnectionName(config),
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1000,
    waitOnFirstConnect: false,
    // Every request and JetStream publish otherwise builds two Errors with stack traces up front
    // (for a timeout or failure that rarely comes): measurable CPU on the hot paths, and our logs
    // carry an error's message and subject, not the caller's stack.
    noAsyncTraces: true,
  });
  log.info({ server: nc.getServer() }, 'connected to NATS');
  void (async () => {
    for await (const s of nc.status()) {
      switch (s.type) {
        case 'disconnect':
        case 'reconnect':
          log.warn({ event: s.type, server: s.server }, 'NATS connection status');
          break;
        case 'error':
          log.warn({ event: s.type, err: s.error }, 'NATS connection status');
          break;
        case 'staleConnection':
        case 'slowConsumer':
          log.warn({ event: s.type }, 'NATS connection status');
          break;
        default:
          log.debug({ event: s.type }, 'NATS connection status');
      }
    }
  })().catch((err: unknown) => log.error({ err }, 'NATS status monitor stopped'));
  return nc;
}

/**
 * Drains the connection in `onApplicationShutdown`: after every `onModuleDestroy` and
 * `beforeApplicationShutdown`, where services stop their consumers and flush their publishers.
 */
@Injectable()
export class NatsConnectionLifecycle implements OnApplicationShutdown {
  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.nc.isClosed()) return;
    try {
      await this.nc.drain();
      this.logger.info({ component: 'nats' }, 'NATS connection drained');
    } catch (err) {
      this.logger.warn({ component: 'nats', err }, 'NATS drain failed; closing');
      await this.nc.close();
    }
  }
}

export const natsConnectionProvider: Provider = {
  provide: NATS_CONNECTION,
  inject: [BaseConfig, LOGGER],
  useFactory: (config: BaseConfig, logger: Logger) => connectNats(config, logger),
};
