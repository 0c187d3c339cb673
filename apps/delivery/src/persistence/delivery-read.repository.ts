import type { DataSource } from 'typeorm';
import type { AttemptRecord, DeliveryRow, DeliveryStatus } from './delivery-queue.repository.js';

/** The attempt log's rows, as `attempts()` reads them (packages/sdk's views name it here). */
export type { AttemptRecord } from './delivery-queue.repository.js';

export interface DeliverySummary {
  id: string;
  messageId: string;
  endpointId: string;
  projectId: string;
  status: DeliveryStatus;
  attempts: number;
  maxAttempts: number;
  nextAttemptAt: Date | null;
  lastStatusCode: number | null;
  lastError: string | null;
  eventType: string;
  triggerEventId: string;
  itemId: string | null;
  createdAt: Date;
  completedAt: Date | null;
  cursor: DeliveryCursor;
}

export interface MessageSummary {
  id: string;
  eventType: string;
  triggerEventId: string;
  itemId: string | null;
  visitId: string | null;
  /** The frozen body exactly as sent (parsed). */
  payload: unknown;
  createdAt: Date;
  deliveries: Record<DeliveryStatus, number>;
  cursor: DeliveryCursor;
}

/** Position after a row: its created_at in microseconds since the epoch (PostgreSQL's precision) and id. */
export interface DeliveryCursor {
  createdUs: string;
  id: string;
}

/** A page of a project's messages: what both lists filter by. */
export interface MessageQuery {
  projectId: string;
  eventType?: string;
  itemId?: string;
  since?: Date;
  until?: Date;
  /** Cursor: created_at and id of the last row of the previous page. */
  after?: DeliveryCursor;
  limit: number;
}

/** A page of a project's deliveries: a message page's filters, and the delivery's own. */
export interface DeliveryQuery extends MessageQuery {
  endpointId?: string;
  status?: DeliveryStatus;
}

type SummaryRow = DeliveryRow & { created_us: string };

function toSummary(r: SummaryRow): DeliverySummary {
  return {
    id: r.id,
    messageId: r.message_id,
    endpointId: r.endpoint_id,
    projectId: r.project_id,
    status: r.status,
    attempts: r.attempts,
    maxAttempts: r.max_attempts,
    nextAttemptAt: r.status === 'pending' ? r.next_attempt_at : null,
    lastStatusCode: r.last_status_code,
    lastError: r.last_error,
    eventType: r.event_type,
    triggerEventId: r.trigger_event_id,
    itemId: r.item_id,
    createdAt: r.created_at,
    completedAt: r.completed_at,
    cursor: { createdUs: r.created_us, id: r.id },
  };
}

/** A row's created_at in microseconds since the epoch (a cursor's first half), of table alias `t`. */
const createdUs = (t: 'd' | 'm') => `(extract(epoch FROM ${t}.created_at) * 1000000)::bigint::text AS created_us`;
const CREATED_US = createdUs('d');

/**
 * The WHERE and arguments of one page of a project's deliveries (`d`, joined to their message `m`)
 * or messages (`m`): the filters both lists take, then `own` (those of one list only, skipped when
 * empty), then the cursor; the page's LIMIT is the last argument.
 */
function pageOf(t: 'd' | 'm', q: MessageQuery, own: ReadonlyArray<readonly [string, unknown]> = []): { where: string; args: unknown[] } {
  const where = [`${t}.project_id = $1`];
  const args: unknown[] = [q.projectId];
  const add = (sql: string, v: unknown) => {
    args.push(v);
    where.push(sql.replace('?', `$${args.length}`));
  };
  for (const [sql, v] of own) if (v) add(sql, v);
  if (q.eventType) add('m.event_type = ?', q.eventType);
  if (q.itemId) add('m.item_id = ?', q.itemId);
  if (q.since) add(`${t}.created_at >= ?`, q.since);
  if (q.until) add(`${t}.created_at < ?`, q.until);
  if (q.after) {
    args.push(q.after.createdUs, q.after.id);
    where.push(`(${t}.created_at, ${t}.id) > ('epoch'::timestamptz + $${args.length - 1}::bigint * interval '1 microsecond', $${args.length}::uuid)`);
  }
  args.push(q.limit);
  return { where: where.join(' AND '), args };
}

/**
 * Deliveries as the API and the metrics read them: listings, attempts, redelivery and recovery,
 * queue depth. The dispatcher's side of the table is DeliveryQueue's.
 */
export class DeliveryReadRepository {
  constructor(private readonly ds: DataSource) {}

  async get(id: string): Promise<DeliverySummary | null> {
    const rows: SummaryRow[] = await this.ds.query(
      `SELECT d.*, m.event_type, m.trigger_event_id, m.item_id, ${CREATED_US} FROM dl_deliveries d JOIN dl_messages m ON m.id = d.message_id WHERE d.id = $1`,
      [id],
    );
    return rows[0] ? toSummary(rows[0]) : null;
  }

  async list(q: DeliveryQuery): Promise<DeliverySummary[]> {
    const { where, args } = pageOf('d', q, [
      ['d.endpoint_id = ?', q.endpointId],
      ['d.status = ?', q.status],
    ]);
    const rows: SummaryRow[] = await this.ds.query(
      `SELECT d.*, m.event_type, m.trigger_event_id, m.item_id, ${CREATED_US} FROM dl_deliveries d JOIN dl_messages m ON m.id = d.message_id
       WHERE ${where} ORDER BY d.created_at, d.id LIMIT $${args.length}`,
      args,
    );
    return rows.map(toSummary);
  }

  /** Messages (frozen payloads) of a project, newest last, with how their deliveries stand. */
  async listMessages(q: MessageQuery): Promise<MessageSummary[]> {
    const { where, args } = pageOf('m', q);
    const rows: {
      id: string;
      event_type: string;
      trigger_event_id: string;
      item_id: string | null;
      visit_id: string | null;
      body: string;
      created_at: Date;
      created_us: string;
      statuses: Record<DeliveryStatus, number> | null;
    }[] = await this.ds.query(
      `SELECT m.id, m.event_type, m.trigger_event_id, m.item_id, m.visit_id, m.body, m.created_at, ${createdUs('m')},
              (SELECT jsonb_object_agg(status, n) FROM (SELECT status, count(*) AS n FROM dl_deliveries d WHERE d.message_id = m.id GROUP BY status) s) AS statuses
       FROM dl_messages m WHERE ${where} ORDER BY m.created_at, m.id LIMIT $${args.length}`,
      args,
    );
    return rows.map((r) => ({
      id: r.id,
      eventType: r.event_type,
      triggerEventId: r.trigger_event_id,
      itemId: r.item_id,
      visitId: r.visit_id,
      payload: JSON.parse(r.body) as unknown,
      createdAt: r.created_at,
      deliveries: { pending: 0, delivered: 0, failed: 0, ...(r.statuses ?? {}) },
      cursor: { createdUs: r.created_us, id: r.id },
    }));
  }

  async attempts(deliveryId: string): Promise<AttemptRecord[]> {
    const rows: {
      delivery_id: string;
      n: number;
      started_at: Date;
      duration_ms: number;
      status_code: number | null;
      error: string | null;
      request_headers: Record<string, string>;
      response_headers: Record<string, string> | null;
      response_body: string | null;
      sent_by: string;
    }[] = await this.ds.query(`SELECT * FROM dl_attempts WHERE delivery_id = $1 ORDER BY n`, [deliveryId]);
    return rows.map((r) => ({
      deliveryId: r.delivery_id,
      n: r.n,
      startedAt: r.started_at,
      durationMs: r.duration_ms,
      statusCode: r.status_code,
      error: r.error,
      requestHeaders: r.request_headers,
      responseHeaders: r.response_headers,
      responseBody: r.response_body,
      sentBy: r.sent_by,
    }));
  }

  /**
   * `due`: pending deliveries whose attempt is due and that no process holds: the backlog more
   * delivery processes would drain (what autoscaling reads; `pending` also counts retries
   * scheduled hours ahead).
   */
  async queueStats(): Promise<{ pending: number; due: number; oldestAgeMs: number }> {
    const rows: { pending: string; due: string; oldest: Date | null }[] = await this.ds.query(
      `SELECT count(*) AS pending,
              count(*) FILTER (WHERE next_attempt_at <= now() AND (locked_until IS NULL OR locked_until < now())) AS due,
              min(created_at) AS oldest
         FROM dl_deliveries WHERE status = 'pending'`,
    );
    const oldest = rows[0]?.oldest;
    return { pending: Number(rows[0]?.pending ?? 0), due: Number(rows[0]?.due ?? 0), oldestAgeMs: oldest ? Date.now() - oldest.getTime() : 0 };
  }
}
