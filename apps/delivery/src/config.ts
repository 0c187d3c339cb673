import { IsString, Matches } from 'class-validator';
import { BaseConfig, EnvInteger, EnvList, Secret } from '@stagehook/platform';
import type { RetryDefaults } from './domain/retry-policy.js';

const MS_LIST = /^\s*\d+(\s*,\s*\d+)*\s*$/;

/** Every variable the delivery service reads; validated at boot. */
export class DeliveryConfig extends BaseConfig {
  /**
   * Platform keys that open the sealed endpoint secrets (`kid:base64key`, first seals). Same
   * value as the registry's.
   */
  @Secret()
  @EnvList({ minItems: 1 })
  SECRET_KEYS!: string[];

  /** Host names or IPs that may resolve to private/loopback addresses (development only). */
  @EnvList()
  SSRF_ALLOW_LIST: string[] = [];

  /** Attempts in flight at once across all endpoints, per process. */
  @EnvInteger({ min: 1, max: 10_000 })
  DISPATCH_CONCURRENCY = 128;

  /** Attempts in flight at once to one endpoint, per process: no head-of-line blocking. */
  @EnvInteger({ min: 1, max: 1_000 })
  ENDPOINT_CONCURRENCY = 16;

  /** Deliveries claimed per dispatcher query. */
  @EnvInteger({ min: 1, max: 5_000 })
  DISPATCH_BATCH = 256;

  /** How often the dispatcher looks for due deliveries when idle. */
  @EnvInteger({ min: 5, max: 60_000 })
  DISPATCH_POLL_MS = 200;

  /**
   * Lease on a claimed delivery, renewed every third of it while this process holds the
   * delivery. A crashed process's deliveries are claimable again once it lapses: it bounds how
   * long a crash delays them.
   */
  @EnvInteger({ min: 1_000, max: 600_000 })
  LEASE_MS = 30_000;

  /** Delays before attempt 1, 2, … (ms) for event subscriptions (Svix schedule). */
  @IsString()
  @Matches(MS_LIST, { message: 'must be a comma-separated list of milliseconds' })
  RETRY_SCHEDULE_MS = '0,5000,300000,1800000,7200000,18000000,36000000,36000000';

  /** Delays for webhook-stage deliveries: few and quick, so the item routes on soon. */
  @IsString()
  @Matches(MS_LIST, { message: 'must be a comma-separated list of milliseconds' })
  STAGE_RETRY_SCHEDULE_MS = '0,1000,2000,4000,8000';

  @EnvInteger({ min: 1_000, max: 86_400_000 })
  RETRY_AFTER_MAX_MS = 3_600_000;

  /** Svix: an endpoint with no success for 5 days is disabled. */
  @EnvInteger({ min: 60_000 })
  DISABLE_AFTER_MS = 5 * 24 * 3_600_000;

  /** Opossum settings per endpoint. */
  @EnvInteger({ min: 1, max: 10_000 })
  BREAKER_VOLUME_THRESHOLD = 10;

  @EnvInteger({ min: 1, max: 100 })
  BREAKER_ERROR_PERCENT = 50;

  @EnvInteger({ min: 1_000, max: 600_000 })
  BREAKER_WINDOW_MS = 30_000;

  @EnvInteger({ min: 100, max: 600_000 })
  BREAKER_RESET_MS = 30_000;

  /** Breakers kept in memory; idle ones are evicted first. */
  @EnvInteger({ min: 10, max: 1_000_000 })
  BREAKER_MAX = 10_000;

  /** How long freezing a payload waits for the items service's Darwin export. */
  @EnvInteger({ min: 100, max: 60_000 })
  ITEMS_RPC_TIMEOUT_MS = 5_000;

  /**
   * The largest Darwin export frozen into a stage payload (the items service has its own bound,
   * DARWIN_EXPORT_MAX_BYTES); a larger one fails the delivery at once with `payload_too_large`.
   */
  @EnvInteger({ min: 1024, max: 1024 * 1024 * 1024 })
  DARWIN_MAX_BYTES = 64 * 1024 * 1024;

  /** AckWait of the durable consumers; handling is short (no HTTP inside), so 30 s is ample. */
  @EnvInteger({ min: 1_000, max: 600_000 })
  CONSUMER_ACK_WAIT_MS = 30_000;

  @EnvInteger({ min: 1, max: 256 })
  CONSUMER_CONCURRENCY = 8;

  /**
   * Messages (with their deliveries and attempts) are removed this long after they were created,
   * once every delivery of theirs is final; pending ones are kept whatever their age.
   */
  @EnvInteger({ min: 86_400_000 })
  RETENTION_MESSAGES_MS = 30 * 86_400_000;

  /** Attempt log entries are removed this long after they started. */
  @EnvInteger({ min: 86_400_000 })
  RETENTION_ATTEMPTS_MS = 30 * 86_400_000;

  /** Each running consumer handler and each recording attempt holds a connection briefly. */
  @EnvInteger({ min: 2, max: 200 })
  DB_POOL_SIZE = 20;

  #retryDefaults: RetryDefaults | undefined;

  /** RETRY_SCHEDULE_MS and STAGE_RETRY_SCHEDULE_MS as schedules, parsed once (they are validated at boot). */
  get retryDefaults(): RetryDefaults {
    return (this.#retryDefaults ??= { standard: parseMsList(this.RETRY_SCHEDULE_MS), stage: parseMsList(this.STAGE_RETRY_SCHEDULE_MS) });
  }
}

export function parseMsList(s: string): number[] {
  return s.split(',').map((x) => Number(x.trim()));
}
