/**
 * Group commit: callers submit one item each and wait for its result; items submitted while the
 * flushes run go together into the next one (up to `maxBatch`). One transaction then does the
 * work of many, so under load the round trips per item fall with the batch size, while a lone
 * item is flushed at once (no timer, no added latency). Up to `parallel` flushes run at a time.
 * A failed batch is flushed again item by item, so an item fails only for its own sake.
 */
export class GroupCommit<T, R> {
  private readonly pending: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  private flushing = 0;

  constructor(
    /** Results in the order of the items. */
    private readonly flush: (items: T[]) => Promise<R[]>,
    private readonly maxBatch: number,
    private readonly parallel = 1,
  ) {}

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (this.flushing < this.parallel) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.flushing++;
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
          for (const b of batch) {
            await this.flush([b.item]).then(([r]) => b.resolve(r), b.reject);
          }
        }
      }
    } finally {
      this.flushing--;
    }
  }
}
