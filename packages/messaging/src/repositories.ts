import type { DataSource, EntityManager } from 'typeorm';
import { pgText } from './payload.js';

/** Anything that runs SQL: a DataSource, or a transaction's EntityManager. */
type Sql = Pick<DataSource | EntityManager, 'query'>;

export interface NewDeadLetter {
  consumer: string;
  stream: string;
  subject: string;
  streamSeq: number;
  storedAt: Date;
  eventId: string | null;
  eventType: string | null;
  reason: string;
  payload: string;
  payloadEncoding: 'utf8' | 'base64';
  payloadBytes: number;
  payloadTruncated: boolean;
  headers: Record<string, string[]>;
  deliveryCount: number;
}

export interface DeadLetter extends NewDeadLetter {
  /** bigserial, as a string (it can exceed 2^53). */
  id: string;
  createdAt: Date;
  /** The last replay by an operator, if any, and what came of it. */
  replayedAt: Date | null;
  replayCount: number;
  replayOutcome: string | null;
}

/** Replay outcomes that resolve a dead letter: its event has had its effect. */
export const RESOLVED_REPLAY_OUTCOMES = ['handled', 'already-handled'] as const;

export interface DeadLetterQuery {
  consumer?: string;
  eventId?: string;
  /** Dead letters whose reason contains this text (case-insensitive). */
  reason?: string;
  /** Only those not resolved by a replay yet. */
  unresolved?: boolean;
  /** Keyset pagination: only rows with a smaller id (the last id of the previous page). */
  beforeId?: string;
  /** Default 50, at most 500. */
  limit?: number;
}

interface DeadLetterRow {
  id: string;
  consumer: string;
  stream: string;
  subject: string;
  stream_seq: string;
  stored_at: Date;
  event_id: string | null;
  event_type: string | null;
  reason: string;
  payload: string;
  payload_encoding: 'utf8' | 'base64';
  payload_bytes: number;
  payload_truncated: boolean;
  headers: Record<string, string[]>;
  delivery_count: number;
  created_at: Date;
  replayed_at: Date | null;
  replay_count: number;
  replay_outcome: string | null;
}

const REASON_MAX_CHARS = 4000;

/** The dead letters consumers recorded in this service's database. */
export class DeadLetterRepository {
  constructor(private readonly db: Sql) {}

  /**
   * Records a dead letter. The same message dead-lettered again by the same consumer (after a
   * crash before its term, or a retried publish) updates the existing row instead of adding one.
   */
  async record(d: NewDeadLetter): Promise<{ id: string; created: boolean }> {
    const rows: { id: string; created: boolean }[] = await this.db.query(
      `INSERT INTO msg_dead_letters
         (consumer, stream, subject, stream_seq, stored_at, event_id, event_type, reason,
          payload, payload_encoding, payload_bytes, payload_truncated, headers, delivery_count)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
       ON CONFLICT (consumer, stream, stream_seq, stored_at)
       DO UPDATE SET reason = EXCLUDED.reason, delivery_count = EXCLUDED.delivery_count
       RETURNING id, (xmax = 0) AS created`,
      [
        d.consumer,
        d.stream,
        pgText(d.subject),
        d.streamSeq,
        d.storedAt,
        d.eventId === null ? null : pgText(d.eventId),
        d.eventType === null ? null : pgText(d.eventType),
        pgText(d.reason.length > REASON_MAX_CHARS ? `${d.reason.slice(0, REASON_MAX_CHARS - 1)}…` : d.reason),
        pgText(d.payload),
        d.payloadEncoding,
        d.payloadBytes,
        d.payloadTruncated,
        JSON.stringify(d.headers),
        d.deliveryCount,
      ],
    );
    return rows[0];
  }

  /** Newest first. */
  async list(q: DeadLetterQuery = {}): Promise<DeadLetter[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.consumer !== undefined) {
      params.push(q.consumer);
      where.push(`consumer = $${params.length}`);
    }
    if (q.eventId !== undefined) {
      params.push(q.eventId);
      where.push(`event_id = $${params.length}`);
    }
    if (q.reason !== undefined) {
      params.push(`%${q.reason.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
      where.push(`reason ILIKE $${params.length}`);
    }
    if (q.unresolved) {
      params.push(RESOLVED_REPLAY_OUTCOMES);
      where.push(`(replay_outcome IS NULL OR replay_outcome <> ALL($${params.length}::text[]))`);
    }
    if (q.beforeId !== undefined) {
      params.push(q.beforeId);
      where.push(`id < $${params.length}`);
    }
    params.push(Math.min(Math.max(q.limit ?? 50, 1), 500));
    const rows: DeadLetterRow[] = await this.db.query(
      `SELECT * FROM msg_dead_letters ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY id DESC LIMIT $${params.length}`,
      params,
    );
    return rows.map(toDeadLetter);
  }

  /** Records an operator's replay and its outcome. */
  async markReplayed(id: string, outcome: string): Promise<void> {
    await this.db.query(`UPDATE msg_dead_letters SET replayed_at = now(), replay_count = replay_count + 1, replay_outcome = $2 WHERE id = $1`, [id, outcome]);
  }

  async get(id: string): Promise<DeadLetter | undefined> {
    const rows: DeadLetterRow[] = await this.db.query(`SELECT * FROM msg_dead_letters WHERE id = $1`, [id]);
    return rows[0] ? toDeadLetter(rows[0]) : undefined;
  }

  async count(consumer?: string): Promise<number> {
    const rows: { n: number }[] =
      consumer === undefined
        ? await this.db.query(`SELECT count(*)::int AS n FROM msg_dead_letters`)
        : await this.db.query(`SELECT count(*)::int AS n FROM msg_dead_letters WHERE consumer = $1`, [consumer]);
    return rows[0].n;
  }
}

function toDeadLetter(r: DeadLetterRow): DeadLetter {
  return {
    id: r.id,
    consumer: r.consumer,
    stream: r.stream,
    subject: r.subject,
    streamSeq: Number(r.stream_seq),
    storedAt: r.stored_at,
    eventId: r.event_id,
    eventType: r.event_type,
    reason: r.reason,
    payload: r.payload,
    payloadEncoding: r.payload_encoding,
    payloadBytes: r.payload_bytes,
    payloadTruncated: r.payload_truncated,
    headers: r.headers,
    deliveryCount: r.delivery_count,
    createdAt: r.created_at,
    replayedAt: r.replayed_at,
    replayCount: r.replay_count,
    replayOutcome: r.replay_outcome,
  };
}

/** The idempotency record of handled events. */
export class HandledEventRepository {
  constructor(private readonly db: Sql) {}

  /**
   * Claims (consumer, event id) inside the caller's transaction; false if it was already handled.
   * A concurrent claim of the same id waits for the first transaction and then sees it: the unique
   * key, not a read, decides, so two replicas never both handle one event.
   */
  async claim(consumer: string, eventId: string): Promise<boolean> {
    const rows: unknown[] = await this.db.query(`INSERT INTO msg_handled (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1`, [consumer, eventId]);
    return rows.length === 1;
  }

  /** `claim` for many ids in one statement; returns those not handled before. */
  async claimMany(consumer: string, eventIds: readonly string[]): Promise<Set<string>> {
    const rows: { event_id: string }[] = await this.db.query(
      `INSERT INTO msg_handled (consumer, event_id) SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING RETURNING event_id`,
      [consumer, eventIds],
    );
    return new Set(rows.map((r) => r.event_id));
  }

  /** Takes claims back inside the caller's transaction (events a batch handler did not ack). */
  async unclaim(consumer: string, eventIds: readonly string[]): Promise<void> {
    if (eventIds.length > 0) await this.db.query(`DELETE FROM msg_handled WHERE consumer = $1 AND event_id = ANY($2::uuid[])`, [consumer, eventIds]);
  }

  async isHandled(consumer: string, eventId: string): Promise<boolean> {
    const rows: unknown[] = await this.db.query(`SELECT 1 FROM msg_handled WHERE consumer = $1 AND event_id = $2`, [consumer, eventId]);
    return rows.length === 1;
  }

  /**
   * Deletes handled ids older than `days`, in batches so no long lock is held; returns how many.
   * Keep `days` above the stream max age: an id purged while its event can still be redelivered
   * (a durable recreated with deliver-all, a republish) would be handled again.
   */
  async purgeOlderThan(days: number, opts: { batchSize?: number } = {}): Promise<number> {
    if (!(days > 0)) throw new Error(`days must be positive, got ${days}`);
    const batch = opts.batchSize ?? 10_000;
    let total = 0;
    for (;;) {
      const rows: { n: number }[] = await this.db.query(
        `WITH gone AS (
           DELETE FROM msg_handled WHERE ctid IN (
             SELECT ctid FROM msg_handled WHERE handled_at < now() - $1::float8 * interval '1 day' LIMIT $2)
           RETURNING 1)
         SELECT count(*)::int AS n FROM gone`,
        [days, batch],
      );
      total += rows[0].n;
      if (rows[0].n < batch) return total;
    }
  }
}
