import { type DynamicModule, Module, type Provider } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import type { Logger } from 'pino';
import { ProjectTokenGuard } from '../auth/project-token.guard.js';
import { BaseConfig } from '../config/base-config.js';
import { DEFAULT_ERROR_STATUSES } from '../errors/domain-error.js';
import { ERROR_STATUSES, PlatformExceptionFilter } from '../errors/exception-filter.js';
import { HEALTH_CHECK_TIMEOUT_MS, HealthController } from '../health/health.controller.js';
import { createLogger, LOGGER } from '../logging/logger.js';
import { MetricsController } from '../metrics/metrics.controller.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { NATS_CONNECTION, NatsConnectionLifecycle, natsConnectionProvider, type NatsConnection } from '../nats/nats.provider.js';
import { BusNamespace } from '@stagehook/contracts';
import { ConsumerRegistry, RpcClient } from '@stagehook/messaging';
import { createValidationPipe } from '../validation/validation.js';
import { ShutdownDeadline } from './shutdown.js';

export interface PlatformModuleOptions<C extends BaseConfig = BaseConfig> {
  config: C;
  /** Defaults to a JSON logger built from the config. */
  logger?: Logger;
  /** The service's own error codes → HTTP statuses, merged over the platform's defaults. */
  errorStatuses?: Readonly<Record<string, number>>;
  /** Per dependency, for `GET /health` (default 2000 ms). */
  healthCheckTimeoutMs?: number;
}

/**
 * What every service shares at boot: config, logger, metrics, health, the NATS connection, and
 * the global guard, pipe and error filter. Global, so feature modules inject `BaseConfig` (or
 * the service's config class), `LOGGER`, `MetricsService`, `NATS_CONNECTION` and `RpcClient` without importing
 * it. `bootstrapService` imports it for the service; import it yourself only when building an
 * app another way (Test.createTestingModule).
 */
@Module({})
export class PlatformModule {
  static forRoot<C extends BaseConfig>({ config, logger, errorStatuses = {}, healthCheckTimeoutMs = 2000 }: PlatformModuleOptions<C>): DynamicModule {
    for (const [code, status] of Object.entries(errorStatuses)) {
      if (!Number.isInteger(status) || status < 400 || status > 599) throw new RangeError(`error code ${code} maps to ${status}, not a 4xx/5xx status`);
    }
    const log = logger ?? createLogger({ service: config.SERVICE_NAME, level: config.LOG_LEVEL });
    // Injectable as BaseConfig (platform code) and as the service's own class (service code).
    const configClass = config.constructor as new () => C;
    const configTokens = configClass === BaseConfig ? [BaseConfig] : [BaseConfig, configClass];
    const configProviders: Provider[] = configTokens.map((token) => ({ provide: token, useValue: config }));

    return {
      module: PlatformModule,
      global: true,
      imports: [TerminusModule.forRoot({ errorLogStyle: 'json' })],
      controllers: [HealthController, MetricsController],
      providers: [
        ...configProviders,
        { provide: LOGGER, useValue: log },
        { provide: MetricsService, useFactory: () => new MetricsService({ service: config.SERVICE_NAME, logger: log }) },
        { provide: ERROR_STATUSES, useValue: Object.freeze({ ...DEFAULT_ERROR_STATUSES, ...errorStatuses }) },
        { provide: HEALTH_CHECK_TIMEOUT_MS, useValue: healthCheckTimeoutMs },
        natsConnectionProvider,
        NatsConnectionLifecycle,
        ConsumerRegistry,
        {
          provide: RpcClient,
          inject: [NATS_CONNECTION],
          useFactory: (nats: NatsConnection) => new RpcClient(nats, new BusNamespace(config.BUS_NAMESPACE)),
        },
        ShutdownDeadline,
        { provide: APP_GUARD, useClass: ProjectTokenGuard },
        { provide: APP_FILTER, useClass: PlatformExceptionFilter },
        { provide: APP_PIPE, useFactory: createValidationPipe },
      ],
      exports: [...configTokens, LOGGER, MetricsService, NATS_CONNECTION, ConsumerRegistry, RpcClient],
    };
  }
}
