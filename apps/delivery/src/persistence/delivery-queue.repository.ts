import { traceContextOf, type EndpointStateData, type TraceContext } from '@stagehook/contracts';
import type { DataSource, EntityManager } from 'typeorm';
import type { RetryPolicy } from '../domain/retry-policy.js';
import { MAX_ERROR_CHARS, storableHeaders, storableNullable } from '../domain/storable.js';
import { returning } from './sql.js';

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
  /** Resolved once, here (resolveRetryPolicy): a later change to the endpoint or the config does not reach it. */
  retryPolicy: RetryPolicy;
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
  /** The policy's, or one more than the attempts made once a delivery is sent again (redeliver, recover). */
  maxAttempts: number;
  /** The schedule stored with the delivery; null for one created before schedules were stored. */
  retryScheduleMs: readonly number[] | null;
  eventType: string;
  triggerEventId: string;
  itemId: string | null;
  workflowId: string | null;
  stageId: string | null;
  visitId: string | null;
  body: string;
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

/** A delivery row joined with its message's routing fields, as claims and bulk failures read it. */
type ClaimRow = DeliveryRow & {
  write_back?: boolean;
  schedule: ScheduleKind;
  workflow_id: string | null;
  stage_id: string | null;
  visit_id: string | null;
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
    retryScheduleMs: r.retry_schedule_ms ?? null,
    eventType: r.event_type,
    triggerEventId: r.trigger_event_id,
    itemId: r.item_id,
    workflowId: r.workflow_id,
    stageId: r.stage_id,
    visitId: r.visit_id,
    writeBack: r.write_back === true,
    body,
    ...(r.traceparent ? { trace: traceContextOf(r) } : {}),
    endpoint,
  };
}

/** The columns of dl_deliveries with its message's trigger, as claims and bulk failures read them. */
export interface DeliveryRow {
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
  /** The schedule resolved when the delivery was created; null for deliveries created before it was stored. */
  retry_schedule_ms?: number[] | null;
}

/**
 * The retry queue, as the dispatcher, intake and the operators' commands use it: messages and
 * their deliveries created, due deliveries claimed under a lease, attempts recorded, deliveries
 * failed or queued again. What the API and the metrics read is DeliveryReadRepository's.
 */
export class DeliveryQueue {
  constructor(private readonly ds: DataSource) {}

  /** One message and its deliveries; false when the trigger already has its message. */
  async createMessage(m: EntityManager, msg: NewMessage, deliveries: NewDelivery[]): Promise<boolean> {
    return (await this.createMessages(m, [{ msg, deliveries }])).has(msg.id);
  }

  /**
   * Messages with their frozen bodies and their deliveries, in one statement however many: a
   * message whose trigger already has one (same trigger event and variant) is skipped with its
   * deliveries. Returns the ids of the messages created. The deliveries in `lease.ids` are written
   * leased to `lease.node` (DeliveryHandoff) for `lease.ms` from the statement's clock.
   */
  async createMessages(
    m: EntityManager,
    messages: { msg: NewMessage; deliveries: NewDelivery[] }[],
    lease?: { node: string; ms: number; ids: ReadonlySet<string> },
  ): Promise<Set<string>> {
    if (messages.length === 0) return new Set();
    const msgs = messages.map((x) => x.msg);
    const dels = messages.flatMap((x) => x.deliveries.map((d) => ({ ...d, messageId: x.msg.id })));
    const inserted: { id: string }[] = await m.query(
      `WITH msg AS (
         INSERT INTO dl_messages (id, project_id, event_type, trigger_event_id, variant, item_id, workflow_id, stage_id, visit_id, body, traceparent, tracestate)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $17::text[], $18::text[])
         ON CONFLICT (trigger_event_id, variant) DO NOTHING RETURNING id, project_id
       ), del AS (
         INSERT INTO dl_deliveries (id, message_id, endpoint_id, project_id, status, schedule, max_attempts, retry_schedule_ms, next_attempt_at, write_back, locked_by, locked_until)
         SELECT u.id, msg.id, u.ep, msg.project_id, 'pending', u.sch, u.ma, u.rs::int[], now(), u.wb,
           CASE WHEN u.leased THEN $21::text END,
           -- The statement's clock, not the transaction's start: the node counts its lease from before this statement.
           CASE WHEN u.leased THEN clock_timestamp() + $22::int * interval '1 millisecond' END
         FROM unnest($11::uuid[], $12::uuid[], $13::text[], $14::text[], $15::int[], $16::boolean[], $19::text[], $20::boolean[]) AS u(id, message_id, ep, sch, ma, wb, rs, leased)
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
        dels.map((d) => d.retryPolicy.maxAttempts),
        dels.map((d) => d.writeBack === true),
        msgs.map((x) => x.trace?.traceparent ?? null),
        msgs.map((x) => x.trace?.tracestate ?? null),
        // One array per delivery: an int[][] would not unnest row by row, so each travels as its literal.
        dels.map((d) => `{${d.retryPolicy.scheduleMs.join(',')}}`),
        dels.map((d) => lease?.ids.has(d.id) === true),
        lease?.node ?? null,
        lease?.ms ?? 0,
      ],
    );
    return new Set(inserted.map((r) => r.id));
  }

  /**
   * Claims due deliveries under a lease. SKIP LOCKED lets replicas claim disjoint sets; the
   * lease (`locked_until`) is what recovers a crashed process's in-flight deliveries: once it
   * expires, any replica's next claim takes them again.
   */
  async claimDue(node: string, limit: number, scope: { atCapacity: string[]; breakerOpen: string[]; perEndpoint: number }, leaseMs: number): Promise<ClaimedDelivery[]> {
    const rows: (DeliveryRow & {
      schedule: ScheduleKind;
      workflow_id: string | null;
      stage_id: string | null;
      visit_id: string | null;
      body: string;
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
              m.traceparent, m.tracestate, e.state,
              (e.registry_active AND NOT e.deleted AND e.disabled_at IS NULL) AS deliverable
       FROM u JOIN dl_messages m ON m.id = u.message_id LEFT JOIN dl_endpoints e ON e.id = u.endpoint_id`,
      [node, limit, scope.atCapacity, leaseMs, scope.breakerOpen, scope.perEndpoint],
    );
    return rows.map((r) => toClaimed(r, r.body, r.state && r.deliverable ? r.state : null));
  }

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
    const rows: unknown[] = await returning(
      m,
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
    const rows: (DeliveryRow & { schedule: ScheduleKind; workflow_id: string | null; stage_id: string | null; visit_id: string | null })[] = await returning(
      m,
      `WITH c AS (
         SELECT id FROM dl_deliveries
         WHERE endpoint_id = $1 AND status = 'pending' AND (locked_until IS NULL OR locked_until < now())
         LIMIT $3 FOR UPDATE SKIP LOCKED
       ), u AS (
         UPDATE dl_deliveries d SET status = 'failed', last_error = $2, locked_until = NULL, locked_by = NULL, updated_at = now(), completed_at = now()
         FROM c WHERE d.id = c.id RETURNING d.*
       )
       SELECT u.*, m.event_type, m.trigger_event_id, m.item_id, m.workflow_id, m.stage_id, m.visit_id
       FROM u JOIN dl_messages m ON m.id = u.message_id`,
      [endpointId, reason, limit],
    );
    return rows.map((r) => toClaimed(r, '', null));
  }

  /**
   * One more attempt now, no follow-on schedule (Svix's manual resend); false when the delivery is
   * pending or missing (the read side tells which).
   */
  async redeliver(id: string): Promise<boolean> {
    const rows: { status: DeliveryStatus }[] = await returning(
      this.ds,
      `UPDATE dl_deliveries SET status = 'pending', max_attempts = attempts + 1, next_attempt_at = now(), completed_at = NULL, updated_at = now()
       WHERE id = $1 AND status <> 'pending' RETURNING status`,
      [id],
    );
    return rows.length > 0;
  }

  /** Every failed delivery of the endpoint created since `since` gets one more attempt now. */
  async recoverFailed(endpointId: string, since: Date): Promise<number> {
    const rows: unknown[] = await returning(
      this.ds,
      `UPDATE dl_deliveries SET status = 'pending', max_attempts = attempts + 1, next_attempt_at = now(), completed_at = NULL, updated_at = now()
       WHERE endpoint_id = $1 AND status = 'failed' AND created_at >= $2 RETURNING id`,
      [endpointId, since],
    );
    return rows.length;
  }
}
