import { jetstream, JetStreamApiCodes, JetStreamApiError, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { BusNamespace, silentLogger, type CloudEvent, type StructuredLogger } from '@stagehook/contracts';
import type pg from 'pg';
import { OUTBOX_CHANNEL, OUTBOX_TABLE } from './outbox.js';

export interface OutboxRelayOptions {
  /** The service's own database, where its outbox is. */
  pool: pg.Pool;
  nats: NatsConnection;
  /** CloudEvents `source`: the publishing service. */
  source: string;
  namespace?: BusNamespace;
  batchSize?: number;
  /** Poll when no notification comes (a missed one, another process's commit). Default 1 s. */
  pollMs?: number;
  logger?: StructuredLogger;
  /**
   * Test seam: runs after a batch is on the bus and before it is marked published — where a
   * crash leaves events published but not marked, to be published again with the same ids.
   */
  afterPublish?: (ids: string[]) => Promise<void>;
}

interface Row {
  seq: string;
  id: string;
  type: string;
  schema_version: number;
  project_id: string;
  subject: string | null;
  data: Record<string, unknown>;
  occurred_at: Date;
  correlation_id: string | null;
}

// One leader per database publishes, so the outbox's order is the bus's order.
const LOCK_KEY = 'stagehook_outbox_relay';

/**
 * Publishes committed outbox rows to the PUBLISHED stream (`published.<type>`) as CloudEvents,
 * with `Nats-Msg-Id` = the event id, and marks them published after the server acknowledged
 * them. Invariants:
 * - only committed rows are read, so nothing is published for a rolled-back transaction;
 * - a row is marked only after its publish was acknowledged, so a crash anywhere loses nothing;
 * - a crash between the acknowledgment and the mark publishes the row again with the **same id**:
 *   JetStream drops it inside its duplicate window, and the registry's intake records event ids,
 *   so it is accepted once whenever it comes back;
 * - rows are read by "not yet published", never after a checkpoint, so a transaction that
 *   commits after a later one is never skipped (its event may go out after the later one).
 */
export class OutboxRelay {
  private readonly ns: BusNamespace;
  private readonly js: JetStreamClient;
  private readonly log: StructuredLogger;
  private listener: pg.PoolClient | undefined;
  private stopped = false;
  private wakeUp: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private streamReady = false;

  constructor(private readonly o: OutboxRelayOptions) {
    this.ns = o.namespace ?? BusNamespace.root;
    this.js = jetstream(o.nats);
    this.log = o.logger ?? silentLogger;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Stops after the batch in flight; a row published but not marked is published again next time, with its id. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeUp?.();
    await this.loop;
  }

  /**
   * Publishes everything pending once (when this process holds the lead); returns how many rows it
   * published. Throws `StreamMissingError` while the registry has not made PUBLISHED yet.
   */
  async runOnce(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.batch();
      total += n;
      if (n < (this.o.batchSize ?? 100)) return total;
    }
  }

  private async run(): Promise<void> {
    let failures = 0;
    let waitingForStream = false;
    while (!this.stopped) {
      try {
        if (!this.listener) await this.lead();
        if (this.listener) {
          await this.runOnce();
          // Only a pass that published can say the stream is there (a pass without the lead did not look).
          if (waitingForStream) this.log.info({ stream: this.ns.streamName('PUBLISHED') }, 'publisher: the registry made the stream; publishing');
          waitingForStream = false;
        }
        failures = 0;
      } catch (err) {
        failures++;
        // Checked again next pass: a stream deleted after it was found fails the publishes.
        this.streamReady = false;
        if (err instanceof StreamMissingError) {
          // Said once per wait, not every backoff pass while the registry is down.
          if (waitingForStream) this.log.debug({ failures }, 'publisher: still waiting for the stream');
          else this.log.warn({ err: err.message }, 'publisher: waiting for the registry to make the stream; events wait in the outbox');
          waitingForStream = true;
        } else {
          this.log.warn({ err: (err as Error).message, failures }, 'publisher: relay pass failed, retrying');
        }
        await this.releaseLead();
      }
      if (this.stopped) break;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, failures > 0 ? Math.min(10_000, 250 * 2 ** failures) : (this.o.pollMs ?? 1_000));
        this.wakeUp = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
    await this.releaseLead();
  }

  /** Takes the advisory lock on a dedicated connection that also LISTENs for commits. */
  private async lead(): Promise<void> {
    const client = await this.o.pool.connect();
    try {
      const r = await client.query<{ ok: boolean }>(`SELECT pg_try_advisory_lock(hashtext($1)) AS ok`, [LOCK_KEY]);
      if (!r.rows[0]?.ok) {
        client.release();
        return;
      }
      client.on('notification', () => this.wakeUp?.());
      client.on('error', () => {
        // The connection dropped: the lock went with it; the next pass takes it again.
        this.listener = undefined;
      });
      await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
      this.listener = client;
    } catch (err) {
      client.release(err as Error);
      throw err;
    }
  }

  private async releaseLead(): Promise<void> {
    const c = this.listener;
    this.listener = undefined;
    if (!c) return;
    try {
      await c.query(`SELECT pg_advisory_unlock(hashtext($1))`, [LOCK_KEY]);
      await c.query(`UNLISTEN ${OUTBOX_CHANNEL}`);
      c.release();
    } catch (err) {
      c.release(err as Error);
    }
  }

  private async batch(): Promise<number> {
    const limit = this.o.batchSize ?? 100;
    const rows = (
      await this.o.pool.query<Row>(
        `SELECT seq, id::text AS id, type, schema_version, project_id, subject, data, occurred_at, correlation_id
         FROM ${OUTBOX_TABLE} WHERE published_at IS NULL ORDER BY seq LIMIT $1`,
        [limit],
      )
    ).rows;
    if (rows.length === 0) return 0;
    await this.ensureStream();
    // One at a time, in order: the server stores them in outbox order.
    for (const r of rows) {
      await this.js.publish(this.ns.subject(`published.${r.type}`), JSON.stringify(toCloudEvent(r, this.o.source)), { msgID: r.id });
    }
    await this.o.afterPublish?.(rows.map((r) => r.id));
    await this.o.pool.query(`UPDATE ${OUTBOX_TABLE} SET published_at = now() WHERE seq = ANY($1::bigint[])`, [rows.map((r) => r.seq)]);
    return rows.length;
  }

  /**
   * PUBLISHED is the registry's: it makes the stream with the platform's replicas and size. A relay
   * that made it first would guess them (one replica on a three-node cluster, no size bound), so
   * until the registry has booted the events wait in the outbox and this pass fails, to be tried
   * again with the relay's backoff.
   */
  private async ensureStream(): Promise<void> {
    if (this.streamReady) return;
    const jsm = await jetstreamManager(this.o.nats);
    const name = this.ns.streamName('PUBLISHED');
    try {
      await jsm.streams.info(name);
    } catch (err) {
      if (!isStreamNotFound(err)) throw err;
      throw new StreamMissingError(name, err);
    }
    this.streamReady = true;
  }
}

function toCloudEvent(r: Row, source: string): CloudEvent {
  return {
    specversion: '1.0',
    id: r.id,
    source,
    type: r.type,
    time: new Date(r.occurred_at).toISOString(),
    datacontenttype: 'application/json',
    dataschemaversion: r.schema_version,
    ...(r.subject ? { subject: r.subject } : {}),
    projectid: r.project_id,
    ...(r.correlation_id ? { correlationid: r.correlation_id } : {}),
    data: r.data,
  };
}

function isStreamNotFound(err: unknown): boolean {
  return err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound;
}

/** PUBLISHED does not exist yet: the registry makes it at boot; the events wait in the outbox. */
export class StreamMissingError extends Error {
  constructor(stream: string, cause: unknown) {
    super(`stream ${stream} does not exist yet: the registry (webhooks service) makes it; events wait in the outbox until then`, { cause });
    this.name = 'StreamMissingError';
  }
}
