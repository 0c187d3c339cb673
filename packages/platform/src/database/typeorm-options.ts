import type { TypeOrmModuleOptions } from '@nestjs/typeorm';
import type { Logger } from 'pino';
import type { DataSourceOptions } from 'typeorm';
import type { BaseConfig } from '../config/base-config.js';
import { PinoTypeOrmLogger } from '../logging/typeorm-logger.js';

type PostgresOptions = Extract<DataSourceOptions, { type: 'postgres' }>;

export interface ServiceTypeOrmOptions {
  /** Entity classes; never globs (ESM and bundling make globs fragile). */
  entities: NonNullable<PostgresOptions['entities']>;
  /**
   * Migration classes: the service's own and those other packages export (the event store's
   * tables), in order. They run at boot.
   */
  migrations: NonNullable<PostgresOptions['migrations']>;
  logger?: Logger;
  /** Connection pool size per replica (default 10). */
  poolSize?: number;
  /** Boot-time connection attempts before giving up (default 5, 2 s apart). */
  retryAttempts?: number;
}

/**
 * TypeORM options for a service's own database. Schema changes only ever happen through
 * migrations run at boot: `synchronize` is off and cannot be turned on here, because a
 * synchronize against a production event store can drop columns.
 */
export function typeOrmOptions(
  config: Pick<BaseConfig, 'DATABASE_URL' | 'SERVICE_NAME'>,
  { entities, migrations, logger, poolSize = 10, retryAttempts = 5 }: ServiceTypeOrmOptions,
): TypeOrmModuleOptions {
  return {
    type: 'postgres',
    url: config.DATABASE_URL,
    applicationName: config.SERVICE_NAME,
    entities,
    migrations,
    migrationsRun: true,
    // Each migration in its own transaction: one that needs to run outside one (CREATE INDEX
    // CONCURRENTLY) sets `transaction = false` on itself.
    migrationsTransactionMode: 'each',
    synchronize: false,
    dropSchema: false,
    poolSize,
    retryAttempts,
    retryDelay: 2000,
    ...(logger ? { logger: new PinoTypeOrmLogger(logger), logging: ['error', 'warn', 'migration'] as const } : { logging: false }),
  };
}
