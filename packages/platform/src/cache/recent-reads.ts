/**
 * Answers a process read at most `ttlMs` ago, by key: for reads that every event or request of a
 * hot path would repeat, whose answer changes rarely, and whose staleness is checked or harmless
 * where it is used. At most `max` keys; when full, all are dropped (no eviction order to keep).
 */
export class RecentReads<V> {
  private readonly entries = new Map<string, { value: V; until: number }>();
  /**
   * The read under way per key, shared by every get that misses meanwhile: when a hot key's
   * answer expired, each concurrent get began its own read (delivery's intake read one endpoint
   * ~40 times a second in a burst, each read holding a pooled connection). Tagged with `forgotten`
   * as it began: a get after a `delete` or `clear` never joins a read begun before it.
   */
  private readonly reading = new Map<string, { value: Promise<V>; forgotten: number }>();
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
    const under = this.reading.get(key);
    if (under && under.forgotten === this.forgotten) return under.value;
    const forgotten = this.forgotten;
    const read = { value: load(), forgotten };
    this.reading.set(key, read);
    try {
      const value = await read.value;
      // A change made while it read (a rename, and its `delete`) may not be in what it read.
      if (forgotten !== this.forgotten) return value;
      if (this.entries.size >= this.max) this.entries.clear();
      this.entries.set(key, { value, until: now + this.ttlMs });
      return value;
    } finally {
      if (this.reading.get(key) === read) this.reading.delete(key);
    }
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
