import type { RetentionTask } from '@stagehook/messaging';
import type { DataSource } from 'typeorm';

/**
 * Messages created longer ago than `olderThanMs` whose deliveries are all final (delivered or
 * failed), with their deliveries and attempts, a batch of messages per transaction. A message
 * with a delivery still pending is kept whatever its age: it is work in progress.
 *
 * Uses dl_messages_created (the age scan), dl_deliveries' (message_id, endpoint_id) key and
 * dl_attempts' (delivery_id, n) key (the cascade).
 */
export function messagesRetention(ds: Pick<DataSource, 'query'>, olderThanMs: number): RetentionTask {
  return {
    name: 'dl_messages',
    async runBatch(limit) {
      const rows: { n: number }[] = await ds.query(
        `WITH m AS (
           SELECT id FROM dl_messages m
           WHERE created_at < now() - $1::float8 * interval '1 millisecond'
             AND NOT EXISTS (SELECT 1 FROM dl_deliveries d WHERE d.message_id = m.id AND d.status = 'pending')
           ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED
         ), d AS (
           -- Locked, so a redelivery cannot make one pending meanwhile; one that did just before
           -- makes the message delete fail on its foreign key, and the batch is tried next run.
           SELECT id FROM dl_deliveries WHERE message_id IN (SELECT id FROM m) FOR UPDATE
         ), a AS (
           DELETE FROM dl_attempts WHERE delivery_id IN (SELECT id FROM d) RETURNING 1
         ), dd AS (
           DELETE FROM dl_deliveries WHERE id IN (SELECT id FROM d) RETURNING 1
         ), mm AS (
           DELETE FROM dl_messages WHERE id IN (SELECT id FROM m) RETURNING 1
         )
         SELECT (SELECT count(*) FROM mm)::int AS n, (SELECT count(*) FROM dd)::int AS deliveries, (SELECT count(*) FROM a)::int AS attempts`,
        [olderThanMs, limit],
      );
      return rows[0].n;
    },
  };
}

/**
 * Attempts started longer ago than `olderThanMs` (the attempt log; a delivery keeps its count
 * and last status). Walks dl_attempts by id, the order they were written in, and removes the
 * leading run of old rows: no index on started_at, which every attempt would pay for. Ids and
 * start times agree but for attempts running at the same moment, so a straggler is removed by
 * a later run.
 */
export function attemptsRetention(ds: Pick<DataSource, 'query'>, olderThanMs: number): RetentionTask {
  return {
    name: 'dl_attempts',
    async runBatch(limit) {
      const rows: { n: number }[] = await ds.query(
        `WITH head AS (
           SELECT id, started_at < now() - $1::float8 * interval '1 millisecond' AS old
           FROM dl_attempts ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED
         ), gone AS (
           DELETE FROM dl_attempts WHERE id IN (
             SELECT id FROM head WHERE old AND id < COALESCE((SELECT min(id) FROM head WHERE NOT old), 'Infinity'::numeric))
           RETURNING 1)
         SELECT count(*)::int AS n FROM gone`,
        [olderThanMs, limit],
      );
      return rows[0].n;
    },
  };
}
