import { silentLogger, type StructuredLogger } from '@stagehook/contracts';
import { Counter, type Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import { errorMessage } from './errors.js';
import { DEFAULT_STREAM_LIMITS } from './provisioning.js';
import { sleep } from './sleep.js';

const DAY_MS = 86_400_000;

/**
 * How long after handling an event its id may still come back: an event stays in its stream for
 * the stream's max age (7 days by default), and while it is there a durable recreated with
 * deliver-all, or a relay republishing after a crash, delivers it again. Redeliveries of one
 * durable end far sooner (maxDeliver × (ackWait + backoff) ≈ 1 h with the defaults), so the
 * stream's age is the horizon.
 */
export const REDELIVERY_HORIZON_MS = DEFAULT_STREAM_LIMITS.maxAgeMs;

/** Handled ids are kept a day past the horizon: clocks, a stream created late, a slow purge. */
export const DEFAULT_HANDLED_RETENTION_MS = REDELIVERY_HORIZON_MS + DAY_MS;

/** One kind of row the retention job removes, a bounded batch at a time. */
export interface RetentionTask {
  /** Metric label and log field: the table (or tables) it removes from. */
  readonly name: string;
  /** Removes at most `limit` rows that are past their window, in one short transaction; returns how many. */
  runBatch(limit: number): Promise<number>;
}

export interface RetentionJobOptions {
  tasks?: RetentionTask[];
  /** Time between runs. */
  intervalMs: number;
  /** Rows per statement: each batch is its own short transaction, never one huge delete. */
  batchSize: number;
  /** Pause between batches, so a large backlog does not saturate the database. Default 50 ms. */
  pauseMs?: number;
  /** Batches per task per run; what is left waits for the next run. Default 1000. */
  maxBatchesPerRun?: number;
  logger?: StructuredLogger;
  metrics?: Registry;
}

/**
 * Removes rows past their retention window periodically: each task in bounded batches until a
 * batch comes back short. Replicas may all run it: every batch deletes rows it locks with SKIP
 * LOCKED, so two runs never fight over rows; they only share the work.
 */
export class RetentionJob {
  readonly #tasks: RetentionTask[];
  readonly #o: RetentionJobOptions;
  readonly #log: StructuredLogger;
  readonly #deleted: Counter<'table'> | undefined;
  readonly #stop = new AbortController();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running: Promise<unknown> | undefined;

  constructor(opts: RetentionJobOptions) {
    this.#o = opts;
    this.#tasks = [...(opts.tasks ?? [])];
    this.#log = opts.logger ?? silentLogger;
    if (opts.metrics) {
      const name = 'stagehook_retention_deleted_rows_total';
      // prom-client refuses a name twice in one registry: reuse the counter of an earlier job.
      const existing = opts.metrics.getSingleMetric(name);
      this.#deleted =
        existing instanceof Counter ? existing : new Counter({ name, help: 'Rows removed by the retention job, by table', labelNames: ['table'], registers: [opts.metrics] });
    }
  }

  /** Adds a task before `start()`. */
  add(task: RetentionTask): void {
    this.#tasks.push(task);
  }

  get tasks(): readonly string[] {
    return this.#tasks.map((t) => t.name);
  }

  /** First run after one interval, so boot and migrations are not slowed down. */
  start(): void {
    if (this.#timer || this.#stop.signal.aborted) return;
    const tick = () => {
      this.#running = this.runOnce().finally(() => {
        if (!this.#stop.signal.aborted) this.#timer = setTimeout(tick, this.#o.intervalMs);
      });
    };
    this.#timer = setTimeout(tick, this.#o.intervalMs);
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    clearTimeout(this.#timer);
    await this.#running?.catch(() => undefined);
  }

  /** One run of every task; rows removed per task. A failing task is logged and the others run. */
  async runOnce(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const task of this.#tasks) {
      let total = 0;
      try {
        for (let i = 0; i < (this.#o.maxBatchesPerRun ?? 1000) && !this.#stop.signal.aborted; i++) {
          const n = await task.runBatch(this.#o.batchSize);
          total += n;
          this.#deleted?.inc({ table: task.name }, n);
          if (n < this.#o.batchSize) break;
          await sleep(this.#o.pauseMs ?? 50, this.#stop.signal);
        }
      } catch (err) {
        this.#log.error({ task: task.name, err: errorMessage(err), removed: total }, 'retention: task failed; the next run goes on');
      }
      out[task.name] = total;
      if (total > 0) this.#log.info({ task: task.name, removed: total }, 'retention: removed rows past their window');
    }
    return out;
  }
}

/**
 * msg_handled ids handled longer ago than `olderThanMs`. Keep it above REDELIVERY_HORIZON_MS:
 * an id removed while its event can still be delivered would be handled twice.
 */
export function handledIdsRetention(ds: Pick<DataSource, 'query'>, olderThanMs: number): RetentionTask {
  if (!(olderThanMs > 0)) throw new Error(`olderThanMs must be positive, got ${olderThanMs}`);
  return {
    name: 'msg_handled',
    async runBatch(limit) {
      // Uses msg_handled_handled_at_idx; SKIP LOCKED leaves rows a running claim holds.
      const rows: { n: number }[] = await ds.query(
        `WITH gone AS (
           DELETE FROM msg_handled WHERE ctid = ANY(ARRAY(
             SELECT ctid FROM msg_handled WHERE handled_at < now() - $1::float8 * interval '1 millisecond'
             LIMIT $2 FOR UPDATE SKIP LOCKED))
           RETURNING 1)
         SELECT count(*)::int AS n FROM gone`,
        [olderThanMs, limit],
      );
      return rows[0].n;
    },
  };
}
