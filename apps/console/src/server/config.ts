import { IsIn, IsOptional, IsString, Matches } from 'class-validator';
import { EnvInteger, EnvList, EnvUrl, LOG_LEVELS, MIN_TOKEN_SECRET_LENGTH, NODE_ENVS, Secret } from '@stagehook/platform';

/**
 * The console's variables. Not a BaseConfig: the console owns no database, so DATABASE_URL would
 * be a lie; the fields it shares with the services keep their names, meaning and validation.
 */
export class ConsoleConfig {
  @IsIn(NODE_ENVS, { message: `must be one of ${NODE_ENVS.join(', ')}` })
  NODE_ENV: (typeof NODE_ENVS)[number] = 'production';

  @Matches(/^[a-z][a-z0-9-]{0,62}$/, { message: 'must be lower-case letters, digits and dashes, starting with a letter' })
  SERVICE_NAME = 'console';

  @IsString({ message: 'must be a host name or IP address' })
  @Matches(/^[A-Za-z0-9.:[\]-]+$/, { message: 'must be a host name or IP address' })
  HOST = '0.0.0.0';

  /** 0 picks a free port (tests). */
  @EnvInteger({ min: 0, max: 65535 })
  PORT = 3000;

  /** For `/api/live`: the services' events, filtered to the signed-in project. */
  @Secret()
  @EnvUrl(['nats', 'tls'], { list: true })
  NATS_URL!: string;

  @Matches(/^[A-Za-z0-9_-]*$/, { message: 'must be letters, digits, _ and - only (or empty)' })
  BUS_NAMESPACE = '';

  @IsIn(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(', ')}` })
  LOG_LEVEL: (typeof LOG_LEVELS)[number] = 'info';

  /** The services' keys: the console verifies a token exactly as they do before it opens a live feed. */
  @Secret()
  @EnvList({ minItems: 1, itemMinLength: MIN_TOKEN_SECRET_LENGTH })
  AUTH_TOKEN_SECRETS!: string[];

  /** Base URLs the `/api/<service>/*` proxies forward to. */
  @EnvUrl(['http', 'https'])
  WORKFLOW_URL!: string;

  @EnvUrl(['http', 'https'])
  ITEMS_URL!: string;

  @EnvUrl(['http', 'https'])
  WEBHOOKS_URL!: string;

  @EnvUrl(['http', 'https'])
  DELIVERY_URL!: string;

  /** The built SPA; defaults to `dist/web` beside the server. */
  @IsOptional()
  @IsString()
  STATIC_DIR?: string;

  /** A live feed sends a comment this often so proxies keep the stream open. */
  @EnvInteger({ min: 1000, max: 120_000 })
  LIVE_HEARTBEAT_MS = 15_000;

  @EnvInteger({ min: 100, max: 600_000 })
  SHUTDOWN_TIMEOUT_MS = 10_000;

  /** As the services' (BaseConfig): OTLP/HTTP collector base URL; unset, only the trace context propagates. */
  @IsOptional()
  @EnvUrl(['http', 'https'])
  OTEL_EXPORTER_OTLP_ENDPOINT?: string;
}

export const PROXIED_SERVICES = ['workflow', 'items', 'webhooks', 'delivery'] as const;
export type ProxiedService = (typeof PROXIED_SERVICES)[number];

export function serviceUrl(config: ConsoleConfig, service: ProxiedService): string {
  switch (service) {
    case 'workflow':
      return config.WORKFLOW_URL;
    case 'items':
      return config.ITEMS_URL;
    case 'webhooks':
      return config.WEBHOOKS_URL;
    case 'delivery':
      return config.DELIVERY_URL;
  }
}
