/**
 * Answers a process read at most `ttlMs` ago, by key: for reads that every event or request of a
 * hot path would repeat, whose answer changes rarely, and whose staleness is checked or harmless
 * where it is used. At most `max` keys; when full, all are dropped (no eviction order to keep).
 */
export class RecentReads<V> {
  private readonly entries = new Map<string, { value: V; until: number }>();
  /** Counts `delete` and `clear` calls: a read begun before one is answered but not kept. */
  private forgotten = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly max: number,
  ) {}

  /** The answer read within the last `ttlMs`, else `load`'s (kept from `now`). */
  async get(key: string, load: () => Promise<V>, now = Date.now()): Promise<V> {
    const hit = this.entries.get(key);
    if (hit && hit.until > now) return hit.value;
    const forgotten = this.forgotten;
    const value = await load();
    // A change made while it read (a rename, and its `delete`) may not be in what it read.
    if (forgotten !== this.forgotten) return value;
    if (this.entries.size >= this.max) this.entries.clear();
    this.entries.set(key, { value, until: now + this.ttlMs });
    return value;
  }

  /** The next `get` of `key` reads again. */
  delete(key: string): void {
    this.forgotten++;
    this.entries.delete(key);
  }

  /** Every next `get` reads again. */
  clear(): void {
    this.forgotten++;
    this.entries.clear();
  }
}
