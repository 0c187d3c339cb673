import { BadRequestError } from '@stagehook/platform';
import type { DeliveryCursor, MessageQuery } from '../../persistence/delivery-read.repository.js';

/** The opaque page cursor of the list routes: the last row's creation time and id. */
export function encodeCursor(row: { id: string; cursor: DeliveryCursor }): string {
  return Buffer.from(JSON.stringify([row.cursor.createdUs, row.id])).toString('base64url');
}

export function decodeCursor(c: string): DeliveryCursor {
  try {
    const [createdUs, id] = JSON.parse(Buffer.from(c, 'base64url').toString('utf8')) as [unknown, unknown];
    if (typeof createdUs !== 'string' || !/^\d{1,20}$/.test(createdUs) || typeof id !== 'string' || !/^[0-9a-f-]{36}$/i.test(id)) throw new Error('bad');
    return { createdUs, id };
  } catch {
    throw new BadRequestError('cursor is not a cursor this API returned');
  }
}

/** A list route's query as the repository takes it: dates parsed, the cursor decoded, 50 rows by default. */
export function pageQuery(projectId: string, q: { eventType?: string; itemId?: string; since?: string; until?: string; cursor?: string; limit?: number }): MessageQuery {
  return {
    projectId,
    eventType: q.eventType,
    itemId: q.itemId,
    since: q.since ? new Date(q.since) : undefined,
    until: q.until ? new Date(q.until) : undefined,
    after: q.cursor ? decodeCursor(q.cursor) : undefined,
    limit: q.limit ?? 50,
  };
}

/** A page's answer: its rows without their cursors, and the cursor of the next page when it was full. */
export function pageAnswer<R extends { id: string; cursor: DeliveryCursor }>(rows: R[], limit: number): { data: Omit<R, 'cursor'>[]; nextCursor: string | null } {
  return { data: rows.map(({ cursor: _c, ...r }) => r), nextCursor: rows.length === limit ? encodeCursor(rows[rows.length - 1]) : null };
}
