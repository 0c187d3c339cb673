/**
 * Reading what the receivers got back as events: which item and which event a receipt is, and
 * the small aggregations the chaos runs report.
 */
import type { RecordedRequest } from '@stagehook/testing';

type Json = Record<string, unknown>;

export function bodyOf(r: RecordedRequest): { itemId?: string; oldStatus?: string; newStatus?: string; visitId?: string } {
  try {
    return (JSON.parse(r.body) as { data?: Json }).data ?? {};
  } catch {
    return {};
  }
}

export function itemOf(r: RecordedRequest): string | undefined {
  return bodyOf(r).itemId;
}

/**
 * One event as the receiver sees it: an item goes through several status changes (the workflow
 * moves it too), each its own event with its own webhook-id, so repeats are counted per change.
 */
export function eventOf(r: RecordedRequest): string | undefined {
  const b = bodyOf(r);
  if (!b.itemId) return undefined;
  return b.visitId ? `${b.itemId}:${b.visitId}` : `${b.itemId}:${b.oldStatus}->${b.newStatus}`;
}

/** The receipts of the status change the load made itself (to in_progress). */
export const isOurChange = (r: RecordedRequest, id: string) => {
  const b = bodyOf(r);
  return b.itemId === id && b.newStatus === 'in_progress';
};

export function groupBy<T>(xs: T[], key: (x: T) => string | undefined): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) {
    const k = key(x);
    if (k === undefined) continue;
    m.set(k, [...(m.get(k) ?? []), x]);
  }
  return m;
}

export const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
