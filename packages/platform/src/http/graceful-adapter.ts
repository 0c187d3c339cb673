import type { Server } from 'node:http';
import { ExpressAdapter } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';

export interface GracefulExpressAdapterOptions {
  logger: Logger;
  /** How long in-flight requests may take to finish once shutdown begins. */
  drainTimeoutMs: number;
}

/**
 * Express adapter whose `beforeClose` — the first step of Nest's shutdown sequence, before any
 * `onModuleDestroy` — stops accepting connections and waits for in-flight requests, so handlers
 * never run against NATS consumers or a DataSource that is already being torn down.
 * Requests still running after `drainTimeoutMs` are cut when the adapter closes.
 */
export class GracefulExpressAdapter extends ExpressAdapter {
  private inFlight = 0;
  private draining = false;
  private idle: (() => void) | undefined;
  private readonly log: Logger;
  private readonly drainTimeoutMs: number;

  constructor({ logger, drainTimeoutMs }: GracefulExpressAdapterOptions) {
    super();
    this.log = logger.child({ component: 'http' });
    this.drainTimeoutMs = drainTimeoutMs;
    this.getInstance<{ use: (fn: (req: Request, res: Response, next: NextFunction) => void) => void }>().use((_req, res, next) => {
      this.inFlight++;
      // Keep-alive would let a client hold the process open after the drain.
      if (this.draining) res.setHeader('Connection', 'close');
      res.once('close', () => {
        this.inFlight--;
        if (this.draining) {
          // The socket is idle only once this response is out; then it can go.
          setImmediate(() => this.server()?.closeIdleConnections());
          if (this.inFlight === 0) this.idle?.();
        }
      });
      next();
    });
  }

  /** Requests being served right now. */
  get inFlightRequests(): number {
    return this.inFlight;
  }

  // Nest awaits this (prepareClose) although ExpressAdapter declares it void.
  // eslint-disable-next-line @typescript-eslint/no-misused-promises
  override async beforeClose(): Promise<void> {
    super.beforeClose();
    if (this.draining) return;
    this.draining = true;
    const server = this.server();
    if (!server?.listening) return;
    server.close();
    server.closeIdleConnections();
    if (this.inFlight === 0) return;
    this.log.info({ inFlight: this.inFlight }, 'waiting for in-flight requests');
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.log.warn({ inFlight: this.inFlight, drainTimeoutMs: this.drainTimeoutMs }, 'in-flight requests did not finish in time');
        resolve();
      }, this.drainTimeoutMs);
      timer.unref();
      this.idle = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private server(): Server | undefined {
    const server: Server | undefined = this.getHttpServer();
    return server;
  }
}
