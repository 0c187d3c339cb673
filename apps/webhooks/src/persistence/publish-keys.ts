import { createHash } from 'node:crypto';
import type { RetentionTask } from '@stagehook/messaging';
import type { DataSource, EntityManager } from 'typeorm';

/** How long an Idempotency-Key answers with its first result. */
export const IDEMPOTENCY_WINDOW_HOURS = 24;

export type KeyClaim = { kind: 'claimed' } | { kind: 'repeat'; response: unknown } | { kind: 'mismatch' };

/** A stable hash of what was asked, so a key reused for another request is refused, not replayed. */
export function requestHash(body: unknown): string {
  return createHash('sha256').update(canonical(body)).digest('base64url');
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v as Record<string, unknown>)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** The first answer under a key still inside its window, if any. */
export async function findKey(db: Pick<EntityManager, 'query'>, projectId: string, key: string): Promise<{ request_hash: string; response: unknown } | undefined> {
  const rows = await db.query<Array<{ request_hash: string; response: unknown }>>(
    `SELECT request_hash, response FROM webhook_publish_keys
     WHERE project_id = $1 AND idempotency_key = $2 AND created_at > now() - make_interval(hours => $3)`,
    [projectId, key, IDEMPOTENCY_WINDOW_HOURS],
  );
  return rows[0];
}

/**
 * Claims a key in the caller's transaction, with the answer it will give. The row commits with
 * the events, so a key is never recorded without them (nor they without it). A concurrent
 * request with the same key waits on the primary key until the first commits, then reads its
 * answer. After the window the key is free again.
 */
export async function claimKey(tx: EntityManager, projectId: string, key: string, hash: string, response: unknown): Promise<KeyClaim> {
  await tx.query(`DELETE FROM webhook_publish_keys WHERE project_id = $1 AND idempotency_key = $2 AND created_at <= now() - make_interval(hours => $3)`, [
    projectId,
    key,
    IDEMPOTENCY_WINDOW_HOURS,
  ]);
  const inserted = await tx.query<unknown[]>(
    `INSERT INTO webhook_publish_keys (project_id, idempotency_key, request_hash, response) VALUES ($1, $2, $3, $4)
     ON CONFLICT (project_id, idempotency_key) DO NOTHING RETURNING 1`,
    [projectId, key, hash, JSON.stringify(response)],
  );
  if (inserted.length > 0) return { kind: 'claimed' };
  const rows = await tx.query<Array<{ request_hash: string; response: unknown }>>(
    `SELECT request_hash, response FROM webhook_publish_keys WHERE project_id = $1 AND idempotency_key = $2`,
    [projectId, key],
  );
  const row = rows[0];
  if (!row) throw new Error('idempotency key vanished between insert and read');
  return row.request_hash === hash ? { kind: 'repeat', response: row.response } : { kind: 'mismatch' };
}

/** Retention (the platform's job): keys past the window, at most `limit` per batch. */
export function publishKeysRetention(ds: Pick<DataSource, 'query'>): RetentionTask {
  return { name: 'webhook_publish_keys', runBatch: (limit) => purgeExpiredKeys(ds, limit) };
}

async function purgeExpiredKeys(ds: Pick<DataSource, 'query'>, limit: number): Promise<number> {
  const rows: unknown[] = await ds.query(
    `DELETE FROM webhook_publish_keys WHERE ctid IN (
       SELECT ctid FROM webhook_publish_keys WHERE created_at <= now() - make_interval(hours => $1) LIMIT $2 FOR UPDATE SKIP LOCKED)
     RETURNING 1`,
    [IDEMPOTENCY_WINDOW_HOURS, limit],
  );
  return rows.length;
}
