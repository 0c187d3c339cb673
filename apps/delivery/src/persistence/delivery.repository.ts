import { traceContextOf, type EndpointStateData, type TraceContext } from '@stagehook/contracts';
import type { DataSource, EntityManager } from 'typeorm';
import { returning } from './sql.js';
import { MAX_ERROR_CHARS, storableHeaders, storableNullable } from './storable.js';

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';
export type ScheduleKind = 'standard' | 'stage';

export interface NewMessage {
  id: string;
  projectId: string;
  eventType: string;
  triggerEventId: string;
  variant: 'stage' | 'event';
  itemId?: string;
  workflowId?: string;
  stageId?: string;
  visitId?: string;
  /** The exact bytes every attempt sends. */
  body: string;
  /** The trace the message was created in; its attempts continue it. */
  trace?: TraceContext;
}

export interface NewDelivery {
  id: string;
  endpointId: string;
  schedule: ScheduleKind;
  maxAttempts: number;
  /** A write-back stage's delivery: a 2xx body must hold annotations for the item. */
  writeBack?: boolean;
}

/** A delivery claimed by this process, with what it needs to send. */
export interface ClaimedDelivery {
  id: string;
  messageId: string;
  endpointId: string;
  projectId: string;
  schedule: ScheduleKind;
  attempts: number;
  maxAttempts: number;
  eventType: string;
  triggerEventId: string;
  itemId: string | null;
  workflowId: string | null;
  stageId: string | null;
  visitId: string | null;
  body: string;
  messageCreatedAt: Date;
  /** A write-back stage's delivery (NewDelivery.writeBack). */
  writeBack?: boolean;
  /** The message's trace context, when the claim read it. */
  trace?: TraceContext;
  /** null when the endpoint is unknown, deleted or disabled. */
  endpoint: EndpointStateData | null;
}

export interface AttemptRecord {
  deliveryId: string;
  n: number;
  startedAt: Date;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
  requestHeaders: Record<string, string>;
  responseHeaders: Record<string, string> | null;
  responseBody: string | null;
  sentBy: string;
}

export interface DeliveryUpdate {
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: Date | null;
  lastStatusCode: number | null;
  lastError: string | null;
}

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

export interface DeliveryQuery {
  projectId: string;
  endpointId?: string;
  status?: DeliveryStatus;
  eventType?: string;
  itemId?: string;
  since?: Date;
  until?: Date;
  /** Cursor: created_at and id of the last row of the previous page. */
  after?: DeliveryCursor;
  limit: number;
}

/** A delivery row joined with its message's routing fields, as claims and bulk failures read it. */
type ClaimRow = SummaryRow & {
  write_back?: boolean;
  schedule: ScheduleKind;
  workflow_id: string | null;
  stage_id: string | null;
  visit_id: string | null;
  message_created_at: Date;
  traceparent?: string | null;
  tracestate?: string | null;
};

function toClaimed(r: ClaimRow, body: string, endpoint: EndpointStateData | null): ClaimedDelivery {
  return {
    id: r.id,
    messageId: r.message_id,
    endpointId: r.endpoint_id,
    projectId: r.project_id,
    schedule: r.schedule,
    attempts: r.attempts,
    maxAttempts: r.max_attempts,
    eventType: r.event_type,
    triggerEventId: r.trigger_event_id,
    itemId: r.item_id,
    workflowId: r.workflow_id,
    stageId: r.stage_id,
    visitId: r.visit_id,
    writeBack: r.write_back === true,
    body,
    messageCreatedAt: r.message_created_at,
    ...(r.traceparent ? { trace: traceContextOf(r) } : {}),
    endpoint,
  };
}

interface SummaryRow {
  id: string;
  message_id: string;
  endpoint_id: string;
  project_id: string;
  status: DeliveryStatus;
  attempts: number;
  max_attempts: number;
  next_attempt_at: Date | null;
  last_status_code: number | null;
  last_error: string | null;
  event_type: string;
  trigger_event_id: string;
  item_id: string | null;
  created_at: Date;
  completed_at: Date | null;
  created_us: string;
}

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

const CREATED_US = `(extract(epoch FROM d.created_at) * 1000000)::bigint::text AS created_us`;

export class DeliveryRepository {
  constructor(private readonly ds: DataSource) {}

  /** One message and its deliveries; false when the trigger already has its message. */
  async createMessage(m: EntityManager, msg: NewMessage, deliveries: NewDelivery[]): Promise<boolean> {
    return (await this.createMessages(m, [{ msg, deliveries }])).has(msg.id);
  }

  /**
   * Messages with their frozen bodies and their deliveries, in one statement however many: a
   * message whose trigger already has one (same trigger event and variant) is skipped with its
   * deliveries. Returns the ids of the messages created.
   */
  async createMessages(m: EntityManager, messages: { msg: NewMessage; deliveries: NewDelivery[] }[]): Promise<Set<string>> {
    if (messages.length === 0) return new Set();
    const msgs = messages.map((x) => x.msg);
    const dels = messages.flatMap((x) => x.deliveries.map((d) => ({ ...d, messageId: x.msg.id })));
    const inserted: { id: string }[] = await m.query(
      `WITH msg AS (
         INSERT INTO dl_messages (id, project_id, event_type, trigger_event_id, variant, item_id, workflow_id, stage_id, visit_id, body, traceparent, tracestate)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $17::text[], $18::text[])
         ON CONFLICT (trigger_event_id, variant) DO NOTHING RETURNING id, project_id
       ), del AS (
         INSERT INTO dl_deliveries (id, message_id, endpoint_id, project_id, status, schedule, max_attempts, next_attempt_at, write_back)
         SELECT u.id, msg.id, u.ep, msg.project_id, 'pending', u.sch, u.ma, now(), u.wb
         FROM unnest($11::uuid[], $12::uuid[], $13::text[], $14::text[], $15::int[], $16::boolean[]) AS u(id, message_id, ep, sch, ma, wb)
         JOIN msg ON msg.id = u.message_id
         RETURNING 1
       )
       SELECT id FROM msg`,
      [
        msgs.map((x) => x.id),
        msgs.map((x) => x.projectId),
        msgs.map((x) => x.eventType),
        msgs.map((x) => x.triggerEventId),
        msgs.map((x) => x.variant),
        msgs.map((x) => x.itemId ?? null),
        msgs.map((x) => x.workflowId ?? null),
        msgs.map((x) => x.stageId ?? null),
        msgs.map((x) => x.visitId ?? null),
        msgs.map((x) => x.body),
        dels.map((d) => d.id),
        dels.map((d) => d.messageId),
        dels.map((d) => d.endpointId),
        dels.map((d) => d.schedule),
        dels.map((d) => d.maxAttempts),
        dels.map((d) => d.writeBack === true),
        msgs.map((x) => x.trace?.traceparent ?? null),
        msgs.map((x) => x.trace?.tracestate ?? null),
      ],
    );
    return new Set(inserted.map((r) => r.id));
  }

  /**
   * Claims due deliveries under a lease. SKIP LOCKED lets replicas claim disjoint sets; the
   * lease (`locked_until`) is what recovers a crashed process's in-flight deliveries: once it
   * expires, any replica's next claim takes them again.
   */
  async claimDue(
    node: string,
    limit: number,
    scope: { atCapacity: string[]; breakerOpen: string[]; perEndpoint: number },
    leaseMs: number,
  ): Promise<ClaimedDelivery[]> {
    const rows: (SummaryRow & {
      schedule: ScheduleKind;
      workflow_id: string | null;
      stage_id: string | null;
      visit_id: string | null;
      body: string;
      message_created_at: Date;
      state: EndpointStateData | null;
      deliverable: boolean | null;
    })[] = await this.ds.query(
      // Fair across endpoints: at most `perEndpoint` of one endpoint per claim, so a slow endpoint
      // with a deep backlog cannot fill this node's whole window with deliveries that wait behind
      // its concurrency cap. The window function ranks candidates (a bounded scan of the due
      // index); the lock is taken on the chosen rows (FOR UPDATE cannot sit beside a window).
      `WITH ranked AS (
         SELECT id, next_attempt_at, row_number() OVER (PARTITION BY endpoint_id ORDER BY next_attempt_at) AS rank
         FROM (
           SELECT id, endpoint_id, next_attempt_at FROM dl_deliveries
           WHERE status = 'pending' AND next_attempt_at <= now() AND (locked_until IS NULL OR locked_until < now())
             AND NOT (endpoint_id = ANY($3::text[]))
             AND (schedule = 'stage' OR NOT (endpoint_id = ANY($5::text[])))
           ORDER BY next_attempt_at LIMIT $2 * 20
         ) due
       ), c AS (
         SELECT d.id FROM dl_deliveries d JOIN ranked r ON r.id = d.id
         WHERE r.rank <= $6 AND d.status = 'pending' AND (d.locked_until IS NULL OR d.locked_until < now())
         ORDER BY r.next_attempt_at LIMIT $2 FOR UPDATE OF d SKIP LOCKED
       ), u AS (
         UPDATE dl_deliveries d SET locked_until = now() + $4 * interval '1 millisecond', locked_by = $1
         FROM c WHERE d.id = c.id RETURNING d.*
       )
       SELECT u.*, m.event_type, m.trigger_event_id, m.item_id, m.workflow_id, m.stage_id, m.visit_id, m.body,
              m.created_at AS message_created_at, m.traceparent, m.tracestate, e.state,
              (e.registry_active AND NOT e.deleted AND e.disabled_at IS NULL) AS deliverable
       FROM u JOIN dl_messages m ON m.id = u.message_id LEFT JOIN dl_endpoints e ON e.id = u.endpoint_id`,
      [node, limit, scope.atCapacity, leaseMs, scope.breakerOpen, scope.perEndpoint],
    );
    return rows.map((r) => toClaimed(r, r.body, r.state && r.deliverable ? r.state : null));
  }

  /** Keeps the lease on deliveries still waiting in this process (behind a per-endpoint cap). */
  /**
   * Extends the leases `node` still holds (a lapsed one may have been claimed by another node,
   * or a delivery ended); returns the ids extended, so the caller can drop the others.
   */
  async extendLeases(node: string, ids: string[], leaseMs: number): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows: { id: string }[] = await returning(
      this.ds.manager,
      `UPDATE dl_deliveries SET locked_until = now() + $3 * interval '1 millisecond'
       WHERE id = ANY($2::uuid[]) AND locked_by = $1 AND status = 'pending' RETURNING id`,
      [node, ids, leaseMs],
    );
    return new Set(rows.map((r) => r.id));
  }

  /** Hands claimed deliveries back without an attempt (breaker open, shutdown). */
  async release(node: string, ids: string[], delayMs: number): Promise<void> {
    if (ids.length === 0) return;
    await this.ds.query(
      `UPDATE dl_deliveries SET locked_until = NULL, locked_by = NULL,
         next_attempt_at = GREATEST(next_attempt_at, now() + $3 * interval '1 millisecond')
       WHERE id = ANY($2::uuid[]) AND locked_by = $1 AND status = 'pending'`,
      [node, ids, delayMs],
    );
  }

  /**
   * Records attempts with their deliveries' new states, in one statement however many: only
   * for deliveries this node still leases (a lapsed lease means another node may have sent it
   * again). Returns the ids recorded.
   */
  async recordAttempts(m: EntityManager, node: string, attempts: { attempt: AttemptRecord; update: DeliveryUpdate }[]): Promise<Set<string>> {
    if (attempts.length === 0) return new Set();
    const col = <T>(f: (x: { attempt: AttemptRecord; update: DeliveryUpdate }) => T): T[] => attempts.map(f);
    const rows: { id: string }[] = await returning(
      m,
      `WITH u AS (
         UPDATE dl_deliveries d SET status = x.status, attempts = x.attempts, next_attempt_at = COALESCE(x.next_at, d.next_attempt_at),
           locked_until = NULL, locked_by = NULL, last_status_code = x.code, last_error = x.err, updated_at = now(),
           completed_at = CASE WHEN x.status = 'pending' THEN NULL ELSE now() END
         FROM unnest($2::uuid[], $3::text[], $4::int[], $5::timestamptz[], $6::int[], $7::text[]) AS x(id, status, attempts, next_at, code, err)
         WHERE d.id = x.id AND d.locked_by = $1
         RETURNING d.id
       ), a AS (
         INSERT INTO dl_attempts (delivery_id, n, started_at, duration_ms, status_code, error, request_headers, response_headers, response_body, sent_by)
         SELECT y.*
         FROM unnest($2::uuid[], $8::int[], $9::timestamptz[], $10::int[], $15::int[], $11::text[], $12::jsonb[], $13::jsonb[], $14::text[], $16::text[])
           AS y(delivery_id, n, started_at, duration_ms, status_code, error, request_headers, response_headers, response_body, sent_by)
         JOIN u ON u.id = y.delivery_id
       )
       SELECT id FROM u`,
      [
        node,
        col((x) => x.attempt.deliveryId),
        col((x) => x.update.status),
        col((x) => x.update.attempts),
        col((x) => x.update.nextAttemptAt),
        col((x) => x.update.lastStatusCode),
        col((x) => storableNullable(x.update.lastError, MAX_ERROR_CHARS)),
        col((x) => x.attempt.n),
        col((x) => x.attempt.startedAt),
        col((x) => Math.round(x.attempt.durationMs)),
        col((x) => storableNullable(x.attempt.error, MAX_ERROR_CHARS)),
        col((x) => JSON.stringify(storableHeaders(x.attempt.requestHeaders))),
        col((x) => (x.attempt.responseHeaders ? JSON.stringify(storableHeaders(x.attempt.responseHeaders)) : null)),
        col((x) => storableNullable(x.attempt.responseBody)),
        col((x) => x.attempt.statusCode),
        col((x) => x.attempt.sentBy),
      ],
    );
    return new Set(rows.map((r) => r.id));
  }

  /** Ends a delivery without an attempt (endpoint gone or disabled). */
  async failWithoutAttempt(m: EntityManager, id: string, reason: string): Promise<boolean> {
    const rows: unknown[] = await returning(m, 
      `UPDATE dl_deliveries SET status = 'failed', last_error = $2, locked_until = NULL, locked_by = NULL, updated_at = now(), completed_at = now()
       WHERE id = $1 AND status = 'pending' RETURNING id`,
      [id, reason],
    );
    return rows.length > 0;
  }

  /**
   * Fails up to `limit` pending deliveries of an endpoint that are not leased, in one statement,
   * returning what their outcome events need (not their bodies): a disabled endpoint's backlog is
   * failed a bounded batch per transaction, never in one transaction of unknown size.
   */
  async failPendingOfEndpoint(m: EntityManager, endpointId: string, reason: string, limit: number): Promise<ClaimedDelivery[]> {
    const rows: (SummaryRow & { schedule: ScheduleKind; workflow_id: string | null; stage_id: string | null; visit_id: string | null; message_created_at: Date })[] = await returning(
      m,
      `WITH c AS (
         SELECT id FROM dl_deliveries
         WHERE endpoint_id = $1 AND status = 'pending' AND (locked_until IS NULL OR locked_until < now())
         LIMIT $3 FOR UPDATE SKIP LOCKED
       ), u AS (
         UPDATE dl_deliveries d SET status = 'failed', last_error = $2, locked_until = NULL, locked_by = NULL, updated_at = now(), completed_at = now()
         FROM c WHERE d.id = c.id RETURNING d.*
       )
       SELECT u.*, m.event_type, m.trigger_event_id, m.item_id, m.workflow_id, m.stage_id, m.visit_id, m.created_at AS message_created_at
       FROM u JOIN dl_messages m ON m.id = u.message_id`,
      [endpointId, reason, limit],
    );
    return rows.map((r) => toClaimed(r, '', null));
  }

  async byIds(m: EntityManager, ids: string[]): Promise<ClaimedDelivery[]> {
    if (ids.length === 0) return [];
    const rows: (SummaryRow & { schedule: ScheduleKind; workflow_id: string | null; stage_id: string | null; visit_id: string | null; body: string; message_created_at: Date })[] =
      await m.query(
        `SELECT d.*, m.event_type, m.trigger_event_id, m.item_id, m.workflow_id, m.stage_id, m.visit_id, m.body, m.created_at AS message_created_at
         FROM dl_deliveries d JOIN dl_messages m ON m.id = d.message_id WHERE d.id = ANY($1::uuid[])`,
        [ids],
      );
    return rows.map((r) => toClaimed(r, r.body, null));
  }

  async get(id: string): Promise<DeliverySummary | null> {
    const rows: SummaryRow[] = await this.ds.query(
      `SELECT d.*, m.event_type, m.trigger_event_id, m.item_id, ${CREATED_US} FROM dl_deliveries d JOIN dl_messages m ON m.id = d.message_id WHERE d.id = $1`,
      [id],
    );
    return rows[0] ? toSummary(rows[0]) : null;
  }

  async list(q: DeliveryQuery): Promise<DeliverySummary[]> {
    const where = ['d.project_id = $1'];
    const args: unknown[] = [q.projectId];
    const add = (sql: string, v: unknown) => {
      args.push(v);
      where.push(sql.replace('?', `$${args.length}`));
    };
    if (q.endpointId) add('d.endpoint_id = ?', q.endpointId);
    if (q.status) add('d.status = ?', q.status);
    if (q.eventType) add('m.event_type = ?', q.eventType);
    if (q.itemId) add('m.item_id = ?', q.itemId);
    if (q.since) add('d.created_at >= ?', q.since);
    if (q.until) add('d.created_at < ?', q.until);
    if (q.after) {
      args.push(q.after.createdUs, q.after.id);
      where.push(`(d.created_at, d.id) > ('epoch'::timestamptz + $${args.length - 1}::bigint * interval '1 microsecond', $${args.length}::uuid)`);
    }
    args.push(q.limit);
    const rows: SummaryRow[] = await this.ds.query(
      `SELECT d.*, m.event_type, m.trigger_event_id, m.item_id, ${CREATED_US} FROM dl_deliveries d JOIN dl_messages m ON m.id = d.message_id
       WHERE ${where.join(' AND ')} ORDER BY d.created_at, d.id LIMIT $${args.length}`,
      args,
    );
    return rows.map(toSummary);
  }

  /** Messages (frozen payloads) of a project, newest last, with how their deliveries stand. */
  async listMessages(q: Omit<DeliveryQuery, 'endpointId' | 'status'>): Promise<MessageSummary[]> {
    const where = ['m.project_id = $1'];
    const args: unknown[] = [q.projectId];
    const add = (sql: string, v: unknown) => {
      args.push(v);
      where.push(sql.replace('?', `$${args.length}`));
    };
    if (q.eventType) add('m.event_type = ?', q.eventType);
    if (q.itemId) add('m.item_id = ?', q.itemId);
    if (q.since) add('m.created_at >= ?', q.since);
    if (q.until) add('m.created_at < ?', q.until);
    if (q.after) {
      args.push(q.after.createdUs, q.after.id);
      where.push(`(m.created_at, m.id) > ('epoch'::timestamptz + $${args.length - 1}::bigint * interval '1 microsecond', $${args.length}::uuid)`);
    }
    args.push(q.limit);
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
      `SELECT m.id, m.event_type, m.trigger_event_id, m.item_id, m.visit_id, m.body, m.created_at,
              (extract(epoch FROM m.created_at) * 1000000)::bigint::text AS created_us,
              (SELECT jsonb_object_agg(status, n) FROM (SELECT status, count(*) AS n FROM dl_deliveries d WHERE d.message_id = m.id GROUP BY status) s) AS statuses
       FROM dl_messages m WHERE ${where.join(' AND ')} ORDER BY m.created_at, m.id LIMIT $${args.length}`,
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

  /** One more attempt now, no follow-on schedule (Svix's manual resend). */
  async redeliver(id: string): Promise<'ok' | 'pending' | 'missing'> {
    const rows: { status: DeliveryStatus }[] = await returning(this.ds, 
      `UPDATE dl_deliveries SET status = 'pending', max_attempts = attempts + 1, next_attempt_at = now(), completed_at = NULL, updated_at = now()
       WHERE id = $1 AND status <> 'pending' RETURNING status`,
      [id],
    );
    if (rows.length > 0) return 'ok';
    return (await this.get(id)) ? 'pending' : 'missing';
  }

  /** Every failed delivery of the endpoint created since `since` gets one more attempt now. */
  async recoverFailed(endpointId: string, since: Date): Promise<number> {
    const rows: unknown[] = await returning(this.ds, 
      `UPDATE dl_deliveries SET status = 'pending', max_attempts = attempts + 1, next_attempt_at = now(), completed_at = NULL, updated_at = now()
       WHERE endpoint_id = $1 AND status = 'failed' AND created_at >= $2 RETURNING id`,
      [endpointId, since],
    );
    return rows.length;
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
