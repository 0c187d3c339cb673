import { BadRequestError } from '@stagehook/platform';
import type { DeliveryCursor } from '../../persistence/delivery-read.repository.js';

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
