/**
 * Group commit: callers submit one item each and wait for its result; items submitted while a
 * flush runs go together into the next one (up to `maxBatch`). One transaction then records many
 * attempts, so under load the round trips per delivery fall with the batch size, and a lone item
 * is flushed at once (no timer, no added latency). A failed batch is flushed again item by item,
 * so an item fails only for its own sake.
 */
export class GroupCommit<T, R> {
  private pending: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  private flushing = false;

  constructor(
    /** Results in the order of the items. */
    private readonly flush: (items: T[]) => Promise<R[]>,
    private readonly maxBatch: number,
  ) {}

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (!this.flushing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.flushing = true;
    try {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0, this.maxBatch);
        try {
          const results = await this.flush(batch.map((b) => b.item));
          batch.forEach((b, i) => b.resolve(results[i]));
        } catch (err) {
          if (batch.length === 1) {
            batch[0].reject(err);
            continue;
          }
          // One bad item must not fail the others: each is flushed again on its own.
          for (const b of batch) {
            await this.flush([b.item]).then(([r]) => b.resolve(r), b.reject);
          }
        }
      }
    } finally {
      this.flushing = false;
    }
  }
}
