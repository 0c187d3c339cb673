import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { type DynamicModule, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { APP_FILTER, NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NatsConnection } from '@nats-io/transport-node';
import express, { type NextFunction, type Request, type Response } from 'express';
import { createProxyMiddleware } from 'http-proxy-middleware';
import {
  connectNats,
  DEFAULT_ERROR_STATUSES,
  ERROR_STATUSES,
  GracefulExpressAdapter,
  LOGGER,
  type Logger,
  MetricsController,
  MetricsService,
  PinoNestLogger,
  PlatformExceptionFilter,
  requestLogging,
  SHUTDOWN_SIGNALS,
  ShutdownDeadline,
  startTracing,
} from '@stagehook/platform';
import { ConsoleConfig, PROXIED_SERVICES, serviceUrl } from './config.js';
import { HealthController } from './health.controller.js';
import { LiveController } from './live.controller.js';
import { CONSOLE_NATS, LiveFeed } from './live.js';

@Module({})
class ConsoleModule {}

class NatsLifecycle implements OnApplicationShutdown {
  constructor(
    @Inject(CONSOLE_NATS) private readonly nc: NatsConnection,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.nc.isClosed()) return;
    await this.nc.drain().catch(async (err: unknown) => {
      this.logger.warn({ err }, 'NATS drain failed; closing');
      await this.nc.close();
    });
  }
}

/** Ends live streams first, so the drain waits only for ordinary requests. */
class ConsoleAdapter extends GracefulExpressAdapter {
  beforeDrain: (() => void) | undefined;

  override async beforeClose(): Promise<void> {
    this.beforeDrain?.();
    await super.beforeClose();
  }
}

const here = dirname(fileURLToPath(import.meta.url));

export function defaultStaticDir(): string {
  // dist/server/app.js → dist/web
  return join(here, '..', 'web');
}

export interface ConsoleAppOptions {
  config: ConsoleConfig;
  logger: Logger;
  handleSignals?: boolean;
}

/**
 * The backend-for-frontend: one origin for the SPA. `/api/<service>/*` goes to the services
 * through http-proxy-middleware (bodies untouched: no body parser runs before it, and the
 * Authorization header passes through — the services check the token themselves), `/api/live`
 * is SSE from NATS, `/health` and `/metrics` as every service, and everything else is the SPA.
 */
export async function createConsoleApp({ config, logger, handleSignals = true }: ConsoleAppOptions): Promise<NestExpressApplication> {
  // Before the proxy's requests: they carry the browser request's trace to the services.
  startTracing({ serviceName: config.SERVICE_NAME, otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT });
  const nc = await connectNats(config, logger);
  const metrics = new MetricsService({ service: config.SERVICE_NAME, logger });
  const root: DynamicModule = {
    module: ConsoleModule,
    controllers: [HealthController, LiveController, MetricsController],
    providers: [
      { provide: ConsoleConfig, useValue: config },
      { provide: LOGGER, useValue: logger },
      { provide: CONSOLE_NATS, useValue: nc },
      { provide: MetricsService, useValue: metrics },
      { provide: ERROR_STATUSES, useValue: DEFAULT_ERROR_STATUSES },
      { provide: APP_FILTER, useClass: PlatformExceptionFilter },
      LiveFeed,
      NatsLifecycle,
      ShutdownDeadline,
    ],
  };
  const adapter = new ConsoleAdapter({ logger, drainTimeoutMs: Math.floor(config.SHUTDOWN_TIMEOUT_MS / 2) });
  const app = await NestFactory.create<NestExpressApplication>(root, adapter, {
    logger: new PinoNestLogger(logger),
    bodyParser: false,
    abortOnError: false,
    forceCloseConnections: true,
  });
  try {
    adapter.beforeDrain = () => app.get(LiveController).endAll();
    app.disable('x-powered-by');
    app.use(requestLogging({ logger, metrics }));
    for (const service of PROXIED_SERVICES) {
      app.use(
        `/api/${service}`,
        createProxyMiddleware<Request, Response>({
          target: serviceUrl(config, service),
          changeOrigin: true,
          xfwd: true,
          proxyTimeout: 60_000,
          on: {
            error: (err, _req, res) => {
              logger.warn({ err, service }, 'proxy error');
              if ('writeHead' in res && !res.headersSent) {
                res.writeHead(502, { 'content-type': 'application/json' });
                res.end(JSON.stringify({ statusCode: 502, error: 'BAD_GATEWAY', message: `the ${service} service did not answer` }));
              } else {
                res.destroy();
              }
            },
          },
        }),
      );
    }
    const staticDir = config.STATIC_DIR ?? defaultStaticDir();
    const index = join(staticDir, 'index.html');
    if (existsSync(index)) {
      // Hashed assets may be cached for good; index.html never, so a deploy is picked up at once.
      app.use('/assets', express.static(join(staticDir, 'assets'), { immutable: true, maxAge: '1y', index: false }));
      app.use(express.static(staticDir, { index: false, maxAge: 0 }));
      app.use((req: Request, res: Response, next: NextFunction) => {
        const path = req.path;
        if (req.method !== 'GET' || path.startsWith('/api/') || path === '/health' || path === '/metrics' || path.startsWith('/assets/')) return next();
        res.setHeader('Cache-Control', 'no-store');
        res.sendFile(index);
      });
    } else {
      logger.warn({ staticDir }, 'no built SPA found; serving the API only');
    }
    if (handleSignals) {
      app.get(ShutdownDeadline).install(SHUTDOWN_SIGNALS, config.SHUTDOWN_TIMEOUT_MS);
      app.enableShutdownHooks([...SHUTDOWN_SIGNALS], { useProcessExit: true });
    }
    await app.listen(config.PORT, config.HOST);
    logger.info({ host: config.HOST, port: (app.getHttpServer().address() as AddressInfo).port }, 'console listening');
    return app;
  } catch (err) {
    await app.close().catch(() => undefined);
    throw err;
  }
}
