import { IsIn, IsOptional, IsString, Matches } from 'class-validator';
import { DEFAULT_HANDLED_RETENTION_MS, REDELIVERY_HORIZON_MS } from '@stagehook/messaging';
import { EnvInteger, EnvList, EnvUrl, Secret } from './env-decorators.js';

export const NODE_ENVS = ['development', 'test', 'production'] as const;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** HMAC-SHA256 keys shorter than this are guessable offline from one token. */
export const MIN_TOKEN_SECRET_LENGTH = 32;

/**
 * The variables every service reads. A service extends this class with its own fields; each
 * field needs at least one class-validator decorator (that is how `loadConfig` knows which
 * variables to read) and `@Secret()` when its value must never be echoed.
 */
export class BaseConfig {
  @IsIn(NODE_ENVS, { message: `must be one of ${NODE_ENVS.join(', ')}` })
  NODE_ENV!: (typeof NODE_ENVS)[number];

  /** Used in logs, metrics, the NATS connection name and the PostgreSQL application name. */
  @Matches(/^[a-z][a-z0-9-]{0,62}$/, { message: 'must be lower-case letters, digits and dashes, starting with a letter' })
  SERVICE_NAME!: string;

  @IsString({ message: 'must be a host name or IP address' })
  @Matches(/^[A-Za-z0-9.:[\]-]+$/, { message: 'must be a host name or IP address' })
  HOST = '0.0.0.0';

  /** 0 picks a free port (tests). */
  @EnvInteger({ min: 0, max: 65535 })
  PORT!: number;

  @Secret()
  @EnvUrl(['postgres', 'postgresql'])
  DATABASE_URL!: string;

  /** One server or a comma-separated list of a cluster's servers. */
  @Secret()
  @EnvUrl(['nats', 'tls'], { list: true })
  NATS_URL!: string;

  /**
   * JetStream replicas of the streams (and the document store) this service creates: 1 on one
   * NATS server, 3 on a three-node cluster so the loss of any one node (the stream leader
   * included) loses nothing. A stream created with another count is updated in place.
   */
  @EnvInteger({ min: 1, max: 5 })
  STREAM_REPLICAS = 1;

  /**
   * Each stream's `max_bytes` (the streams this service creates). JetStream reserves it from the
   * server's storage when the stream is made, used or not; when a stream is full, publishes are
   * refused, nothing unconsumed is dropped. A stream made with another size is updated in place.
   */
  @EnvInteger({ min: 1024 * 1024, max: 1024 ** 4 })
  STREAM_MAX_BYTES = 1024 ** 3;

  /**
   * Bound on the bus's document store (the JetStream object store that Darwin exports and
   * write-back annotations too big for one message travel through). When it is full, new documents
   * are refused until old ones expire (24 h).
   * The services that write (items its exports, delivery write-back answers) make the bucket if
   * it is missing and bring it to this size and STREAM_REPLICAS. JetStream reserves it whether
   * used or not.
   */
  @EnvInteger({ min: 1024 * 1024, max: 1024 ** 4 })
  DOCUMENT_STORE_MAX_BYTES = 1024 ** 3;

  /** Prefix isolating this deployment's subjects and streams on a shared NATS; '' in production. */
  @Matches(/^[A-Za-z0-9_-]*$/, { message: 'must be letters, digits, _ and - only (or empty)' })
  BUS_NAMESPACE = '';

  @IsIn(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(', ')}` })
  LOG_LEVEL: (typeof LOG_LEVELS)[number] = 'info';

  /**
   * Comma-separated HS256 keys for project tokens. The first signs; all verify, so a key is
   * rotated by prepending the new one, waiting out the token TTL, then dropping the old one.
   */
  @Secret()
  @EnvList({ minItems: 1, itemMinLength: MIN_TOKEN_SECRET_LENGTH })
  AUTH_TOKEN_SECRETS!: string[];

  /** body-parser syntax: bytes, or a number with b, kb or mb. */
  @Matches(/^\d+(b|kb|mb)?$/i, { message: 'must be a size such as 512kb or 1mb' })
  HTTP_BODY_LIMIT = '1mb';

  /** Hard deadline for a graceful shutdown; the process exits when it passes. */
  @EnvInteger({ min: 100, max: 600_000 })
  SHUTDOWN_TIMEOUT_MS = 10_000;

  /** How often the retention job removes rows past their window (EventSourcingModule's RetentionHost). */
  @EnvInteger({ min: 1_000, max: 86_400_000 })
  RETENTION_INTERVAL_MS = 600_000;

  /** Rows per retention statement: each batch is one short transaction. */
  @EnvInteger({ min: 1, max: 100_000 })
  RETENTION_BATCH = 1_000;

  /**
   * Consumers' handled event ids (msg_handled) are kept this long. At least the redelivery
   * horizon (the streams' max age): an id removed while its event can still come back would be
   * handled twice.
   */
  @EnvInteger({ min: REDELIVERY_HORIZON_MS })
  HANDLED_RETENTION_MS = DEFAULT_HANDLED_RETENTION_MS;

  /**
   * Projects whose tokens may use the dead-letter API (`/dead-letters`): operators. Dead letters
   * belong to the service, not to a project; empty (the default) closes the API (404).
   */
  @EnvList()
  DEAD_LETTER_OPERATORS: string[] = [];

  /**
   * OTLP/HTTP (protobuf) collector base URL, e.g. `http://otel-collector:4318`: when set, every
   * span is exported to `<url>/v1/traces`. Unset, nothing is recorded, but W3C trace context
   * still propagates (README, "Traces").
   */
  @IsOptional()
  @EnvUrl(['http', 'https'])
  OTEL_EXPORTER_OTLP_ENDPOINT?: string;
}
