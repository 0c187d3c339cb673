import type { AddressInfo } from 'node:net';
import { type DynamicModule, Injectable, Module, type OnApplicationShutdown, type Type } from '@nestjs/common';
import { ModuleRef, NestFactory } from '@nestjs/core';
import type { MicroserviceOptions } from '@nestjs/microservices';
import type { NatsConnection } from '@nats-io/nats-core';
import { BusNamespace } from '@stagehook/contracts';
import { CONSUMER_SETTINGS, ConsumerRegistry, JetStreamTransport, NatsRpcServer, type ConsumerSettings } from '@stagehook/messaging';
import { DataSource } from 'typeorm';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Logger } from 'pino';
import type { BaseConfig } from '../config/base-config.js';
import { ConfigValidationError, type Env, loadConfig } from '../config/load-config.js';
import { GracefulExpressAdapter } from '../http/graceful-adapter.js';
import { requestLogging } from '../http/request-logging.js';
import { requestShapeGuard } from '../http/request-shape.js';
import { createLogger } from '../logging/logger.js';
import { PinoNestLogger } from '../logging/nest-logger.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { NATS_CONNECTION } from '../nats/nats.provider.js';
import { type OpenApiOptions, setupOpenApi } from '../openapi/swagger.js';
import { PlatformModule } from './platform.module.js';
import { currentTracing, startTracing } from '../tracing/tracing.js';
import { SHUTDOWN_SIGNALS, ShutdownDeadline } from './shutdown.js';

export interface BootstrapOptions<C extends BaseConfig = BaseConfig> {
  config: C;
  /** Defaults to a JSON logger built from the config. */
  logger?: Logger;
  /** The service's error codes → HTTP statuses, merged over the platform's. */
  errorStatuses?: Readonly<Record<string, number>>;
  /** OpenAPI document settings (title defaults to SERVICE_NAME); `false` serves no docs. */
  openApi?: Partial<OpenApiOptions> | false;
  /**
   * Handle SIGTERM/SIGINT (default true). Tests that boot several apps in one process turn it
   * off and call `app.close()`, which runs the same graceful sequence.
   */
  handleSignals?: boolean;
  /** Last chance to adjust the app (extra middleware, CORS) before it listens. */
  configure?: (app: NestExpressApplication) => void | Promise<void>;
}

@Module({})
class ServiceRootModule {}

/** Sends the spans still buffered before the process exits (the last hook to run). */
@Injectable()
class TracingFlush implements OnApplicationShutdown {
  async onApplicationShutdown(): Promise<void> {
    await currentTracing()
      ?.flush()
      .catch(() => undefined);
  }
}

/**
 * Boots a service: PlatformModule plus the service's module, JSON logs, the HTTP pipeline
 * (request log and metrics → JSON body parser with the size limit → prototype-pollution and depth
 * guard → guard, pipe, handler, error filter), OpenAPI, graceful shutdown; then listens on
 * HOST:PORT.
 *
 * Shutdown, on a signal or `app.close()`: stop accepting connections and let in-flight requests
 * finish (up to half of SHUTDOWN_TIMEOUT_MS), then Nest's hooks — `onModuleDestroy`,
 * `beforeApplicationShutdown` (services stop their consumers there), `onApplicationShutdown`
 * (the platform drains NATS; TypeORM closes its pool) — and the process exits. On a signal it
 * exits after SHUTDOWN_TIMEOUT_MS at the latest, even if a hook hangs.
 */
export async function bootstrapService<C extends BaseConfig>(
  appModule: Type | DynamicModule,
  { config, logger: givenLogger, errorStatuses, openApi = {}, handleSignals = true, configure }: BootstrapOptions<C>,
): Promise<NestExpressApplication> {
  const logger = givenLogger ?? createLogger({ service: config.SERVICE_NAME, level: config.LOG_LEVEL });
  // Before Nest loads TypeORM (and pg with it), so the instrumentations see the modules load.
  startTracing({ serviceName: config.SERVICE_NAME, otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT });
  const adapter = new GracefulExpressAdapter({ logger, drainTimeoutMs: Math.floor(config.SHUTDOWN_TIMEOUT_MS / 2) });
  const root: DynamicModule = {
    module: ServiceRootModule,
    imports: [PlatformModule.forRoot({ config, logger, errorStatuses }), appModule],
    providers: [TracingFlush],
  };
  const app = await NestFactory.create<NestExpressApplication>(root, adapter, {
    logger: new PinoNestLogger(logger),
    // Registered below with the configured limit, in a fixed place in the chain.
    bodyParser: false,
    // Throw to the caller instead of exiting, so a failed boot is logged (and tests see it).
    abortOnError: false,
    // Whatever is still open after the drain is cut when the adapter closes.
    forceCloseConnections: true,
  });
  try {
    app.disable('x-powered-by');
    app.use(requestLogging({ logger, metrics: app.get(MetricsService) }));
    app.useBodyParser('json', { limit: config.HTTP_BODY_LIMIT, type: ['application/json', 'application/*+json'] });
    app.use(requestShapeGuard());
    if (openApi !== false) setupOpenApi(app, { title: config.SERVICE_NAME, ...openApi });
    await configure?.(app);
    if (handleSignals) {
      app.get(ShutdownDeadline).install(SHUTDOWN_SIGNALS, config.SHUTDOWN_TIMEOUT_MS);
      // process.exit rather than re-raising the signal: it runs pino's flush on exit.
      app.enableShutdownHooks([...SHUTDOWN_SIGNALS], { useProcessExit: true });
    }
    connectConsumers(app, config, logger);
    connectResponders(app, config, logger);
    // Consumers start once every module is initialised (migrations run, streams provisioned) and
    // before the port opens, as they did from onApplicationBootstrap.
    await app.init();
    await app.startAllMicroservices();
    await app.listen(config.PORT, config.HOST);
    logger.info({ host: config.HOST, port: (app.getHttpServer().address() as AddressInfo).port }, 'service listening');
    return app;
  } catch (err) {
    await app.close().catch(() => undefined);
    throw err;
  }
}

/**
 * The service's durable consumers: the JetStream transport serves the `@EventPattern` methods
 * declared with `OnEvent` & co. on its controllers. A service without a database or a bus (none
 * today) runs no consumers.
 */
function connectConsumers(app: NestExpressApplication, config: BaseConfig, logger: Logger): void {
  const dataSource = optional<DataSource>(app, DataSource);
  const namespace = optional<BusNamespace>(app, BusNamespace);
  if (!dataSource || !namespace) return;
  const strategy = new JetStreamTransport({
    dataSource,
    nats: app.get<NatsConnection>(NATS_CONNECTION),
    namespace,
    registry: app.get(ConsumerRegistry),
    logger: logger.child({ component: 'consumer' }),
    metrics: app.get(MetricsService).registry,
    settings: optional<ConsumerSettings>(app, CONSUMER_SETTINGS),
    // A stream consumed before its owner booted is created as the owner would create it.
    streamLimits: { replicas: config.STREAM_REPLICAS, maxBytes: config.STREAM_MAX_BYTES },
  });
  app.connectMicroservice<MicroserviceOptions>({ strategy }, { inheritAppConfig: false });
}

/**
 * The service's request/reply handlers: Nest's NATS transport serves the `@MessagePattern`
 * methods declared with `OnRequest`, under the bus namespace, in a queue group named after the
 * service so its replicas share requests.
 */
function connectResponders(app: NestExpressApplication, config: BaseConfig, logger: Logger): void {
  const strategy = new NatsRpcServer({
    nats: app.get<NatsConnection>(NATS_CONNECTION),
    namespace: new BusNamespace(config.BUS_NAMESPACE),
    queue: config.SERVICE_NAME,
    logger: logger.child({ component: 'rpc' }),
  });
  app.connectMicroservice<MicroserviceOptions>({ strategy }, { inheritAppConfig: false });
}

/**
 * A provider the service may not declare. Asked of the root ModuleRef, not of the app: the app's
 * methods run in Nest's exception zone, which logs every lookup that misses as an error.
 */
function optional<T>(app: NestExpressApplication, token: symbol | (abstract new (...args: never[]) => T)): T | undefined {
  try {
    return app.get(ModuleRef).get<T>(token, { strict: false });
  } catch {
    return undefined;
  }
}

/** `http://127.0.0.1:<port>` of a listening app (its wildcard host made dialable). */
export function listeningUrl(app: NestExpressApplication): string {
  const address = app.getHttpServer().address() as AddressInfo | null;
  if (!address) throw new Error('the app is not listening');
  const host = address.address === '0.0.0.0' || address.address === '::' ? '127.0.0.1' : address.address;
  return `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
}

export interface RunServiceOptions<C extends BaseConfig> extends Omit<BootstrapOptions<C>, 'config' | 'logger'> {
  env?: Env;
}

/**
 * A service's whole `main`: load and validate config, build the logger, boot. A config error or
 * a failed boot is logged as one JSON line and exits with status 1.
 */
export async function runService<C extends BaseConfig>(
  appModule: Type | DynamicModule,
  configClass: new () => C,
  { env, ...options }: RunServiceOptions<C> = {},
): Promise<NestExpressApplication> {
  let config: C;
  try {
    config = loadConfig(configClass, env);
  } catch (err) {
    const logger = createLogger({ service: 'unconfigured' });
    logger.fatal(err instanceof ConfigValidationError ? { problems: err.problems } : { err }, 'invalid configuration');
    process.exit(1);
  }
  const logger = createLogger({ service: config.SERVICE_NAME, level: config.LOG_LEVEL });
  try {
    return await bootstrapService(appModule, { ...options, config, logger });
  } catch (err) {
    logger.fatal({ err }, 'service failed to start');
    process.exit(1);
  }
}
