import { ConcurrencyConflictError } from '@stagehook/event-store';
import { ConflictError } from '@stagehook/platform';

/** A lost optimistic-concurrency race is the client's 409, not a 500. */
export async function conflictsAs409<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ConcurrencyConflictError) throw new ConflictError('the item was moved concurrently; reload and retry', { streamId: err.streamId });
    throw err;
  }
}
