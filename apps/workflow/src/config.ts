import { BaseConfig, EnvInteger } from '@stagehook/platform';

export class WorkflowConfig extends BaseConfig {
  /**
   * How long a command waits for the items service's `head` reply before failing with 503
   * (items_unavailable). Short: a person is waiting on the other side.
   */
  @EnvInteger({ min: 100, max: 30_000 })
  ITEMS_RPC_TIMEOUT_MS = 2_000;

  /** `head` requests in flight at once when adding items in bulk. */
  @EnvInteger({ min: 1, max: 256 })
  ITEMS_RPC_CONCURRENCY = 32;

  /**
   * Write-back outcomes handled at once (different items); each holds a database connection, so
   * it stays below the pool size (10) to leave connections for HTTP requests. Delivery outcomes
   * are routed in batches (two transactions at once, many outcomes each): for them it is only the
   * least number held at once.
   */
  @EnvInteger({ min: 1, max: 8 })
  OUTCOME_CONCURRENCY = 4;

  /**
   * How long a workflow save waits for the registry to create or update a stage's managed
   * endpoint (503 webhooks_unavailable after).
   */
  @EnvInteger({ min: 100, max: 30_000 })
  WEBHOOKS_RPC_TIMEOUT_MS = 5_000;

  /**
   * How long the stage Test button waits for delivery's answer: above the endpoint timeout
   * (15 s by default) so a slow receiver is reported as such, not as a 503.
   */
  @EnvInteger({ min: 1_000, max: 120_000 })
  STAGE_TEST_TIMEOUT_MS = 25_000;
}
