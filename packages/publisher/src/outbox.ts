import { randomUUID } from 'node:crypto';
import { EVENT_TYPE_PATTERN } from '@stagehook/contracts';

/**
 * Anything that runs SQL in the caller's transaction: a `pg` client inside BEGIN/COMMIT, or a
 * TypeORM `EntityManager` of a transaction. The outbox row commits with the caller's own
 * changes, or not at all.
 */
export interface Queryable {
  query(text: string, values?: unknown[]): Promise<unknown>;
}

/** The outbox table; idempotent, run it with the service's own migrations. WIRE NAME: the table and channel names. */
export const OUTBOX_TABLE = 'stagehook_outbox';
export const OUTBOX_CHANNEL = 'stagehook_outbox';

export const OUTBOX_MIGRATION_SQL = `
CREATE TABLE IF NOT EXISTS ${OUTBOX_TABLE} (
  seq            bigserial   PRIMARY KEY,
  id             uuid        NOT NULL UNIQUE,
  type           text        NOT NULL,
  schema_version integer     NOT NULL,
  project_id     text        NOT NULL,
  subject        text,
  data           jsonb       NOT NULL,
  occurred_at    timestamptz NOT NULL,
  correlation_id text,
  published_at   timestamptz
);
CREATE INDEX IF NOT EXISTS ${OUTBOX_TABLE}_pending_idx ON ${OUTBOX_TABLE} (seq) WHERE published_at IS NULL;
`;

export async function migrateOutbox(db: Queryable): Promise<void> {
  await db.query(OUTBOX_MIGRATION_SQL);
}

/**
 * The events a service may publish, by type: the schema version and the shape of `data`.
 * Generate it from the project's catalogue (`stagehook-event-types`), so a payload that does not
 * match its registered schema is a compile error, not a dead letter.
 */
export type EventMap = Record<string, { version: number; data: object }>;

export interface EnqueueOptions {
  /** The event id (CloudEvents `id`); new when absent. Give your own to make a retry of your transaction idempotent. */
  id?: string;
  /** The aggregate it is about (CloudEvents `subject`): events with one subject are handled in order. */
  subject?: string;
  occurredAt?: Date;
  correlationId?: string;
}

export interface PublisherOptions<M extends EventMap> {
  /** The project whose catalogue the types are registered in. */
  projectId: string;
  /** Schema versions by type, from the generated catalogue (`eventVersions`). */
  versions: { readonly [T in keyof M]: number };
}

/**
 * Writes events into the outbox inside the caller's transaction. Nothing is sent here: the
 * `OutboxRelay` publishes what committed, so an event is never published for a transaction that
 * rolled back, and never lost after one that committed.
 */
export class Publisher<M extends EventMap> {
  constructor(private readonly o: PublisherOptions<M>) {}

  async enqueue<T extends keyof M & string>(tx: Queryable, type: T, data: M[T]['data'], opts: EnqueueOptions = {}): Promise<string> {
    if (!EVENT_TYPE_PATTERN.test(type)) throw new RangeError(`event type '${type}' is not dotted lower-case words`);
    const version = this.o.versions[type];
    if (!Number.isInteger(version) || version < 1) throw new RangeError(`no schema version known for '${type}'`);
    const id = opts.id ?? randomUUID();
    await tx.query(
      `INSERT INTO ${OUTBOX_TABLE} (id, type, schema_version, project_id, subject, data, occurred_at, correlation_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [id, type, version, this.o.projectId, opts.subject ?? null, JSON.stringify(data), (opts.occurredAt ?? new Date()).toISOString(), opts.correlationId ?? null],
    );
    // Delivered to the relay's LISTEN only if, and when, the transaction commits.
    await tx.query(`SELECT pg_notify($1, '')`, [OUTBOX_CHANNEL]);
    return id;
  }
}
