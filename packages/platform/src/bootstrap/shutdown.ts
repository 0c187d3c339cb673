import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { LOGGER } from '../logging/logger.js';

export const SHUTDOWN_SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * The hard deadline of a graceful shutdown. Nest's own signal handler runs the shutdown
 * sequence but waits forever for a hook that hangs (a consumer that never drains, a stuck
 * query); this arms a timer on the same signals that exits the process when
 * SHUTDOWN_TIMEOUT_MS has passed, whatever is still running.
 */
@Injectable()
export class ShutdownDeadline implements OnApplicationShutdown {
  private readonly removers: Array<() => void> = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  install(signals: readonly string[], timeoutMs: number, exit: (code: number) => void = (code) => process.exit(code)): void {
    for (const signal of signals) {
      const onSignal = () => {
        this.logger.info({ signal, timeoutMs }, 'shutdown requested');
        this.arm(timeoutMs, exit);
      };
      process.once(signal, onSignal);
      this.removers.push(() => process.removeListener(signal, onSignal));
    }
  }

  /** Starts the countdown; a second call keeps the first deadline. */
  arm(timeoutMs: number, exit: (code: number) => void): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.logger.error({ timeoutMs }, 'graceful shutdown did not finish in time; exiting');
      exit(1);
    }, timeoutMs);
    // The timer must not be what keeps a finished process alive.
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    // The armed timer stays: the rest of the sequence may still hang. Only the listeners go, so a
    // closed app (tests run many) leaves nothing on `process`.
    for (const remove of this.removers.splice(0)) remove();
  }
}
