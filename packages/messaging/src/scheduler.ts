export interface KeyedSchedulerOptions<T> {
  /** How many items may run at once, across keys. */
  concurrency: number;
  /** Runs one item. A rejection is reported to `onError`; it never stalls the item's key. */
  run: (item: T) => Promise<void>;
  onError?: (err: unknown, item: T) => void;
}

interface Entry<T> {
  item: T;
  seq: number;
}

interface Waiter {
  ready: () => boolean;
  resolve: () => void;
}

/**
 * Runs items with the same key one after another, in the order they were pushed, and items of
 * different keys concurrently, up to `concurrency`. Keys waiting for a slot are served
 * round-robin, so one busy aggregate cannot starve the others.
 *
 * The scheduler does not bound how many items it holds: the caller pulls no more than its window
 * (`size` counts running and queued items).
 */
export class KeyedScheduler<T> {
  readonly #concurrency: number;
  readonly #run: (item: T) => Promise<void>;
  readonly #onError: (err: unknown, item: T) => void;
  /** Not-yet-started items per key, in push order. */
  readonly #queues = new Map<string, Entry<T>[]>();
  /** Keys with queued items and nothing running, waiting for a slot (FIFO). */
  #ready: string[] = [];
  /** Running item per key: at most one per key. */
  readonly #running = new Map<string, T>();
  #queued = 0;
  #seq = 0;
  #waiters: Waiter[] = [];

  constructor(opts: KeyedSchedulerOptions<T>) {
    if (!Number.isInteger(opts.concurrency) || opts.concurrency < 1) {
      throw new Error(`concurrency must be a positive integer, got ${opts.concurrency}`);
    }
    this.#concurrency = opts.concurrency;
    this.#run = opts.run;
    this.#onError = opts.onError ?? (() => undefined);
  }

  /** Running plus queued items. */
  get size(): number {
    return this.#running.size + this.#queued;
  }

  get running(): number {
    return this.#running.size;
  }

  get queued(): number {
    return this.#queued;
  }

  push(key: string, item: T): void {
    let queue = this.#queues.get(key);
    if (!queue) {
      queue = [];
      this.#queues.set(key, queue);
      // A key is in #ready exactly when it has queued items and nothing running.
      if (!this.#running.has(key)) this.#ready.push(key);
    }
    queue.push({ item, seq: this.#seq++ });
    this.#queued++;
    this.#dispatch();
  }

  /** Every item held, running first, then queued. */
  held(): T[] {
    const out = [...this.#running.values()];
    for (const q of this.#queues.values()) for (const e of q) out.push(e.item);
    return out;
  }

  /**
   * Removes every item that has not started and returns them in push order; running items keep
   * running. Used on shutdown, so the caller can hand them back to the broker.
   */
  takeQueued(): T[] {
    const entries: Entry<T>[] = [];
    for (const q of this.#queues.values()) entries.push(...q);
    this.#queues.clear();
    this.#ready = [];
    this.#queued = 0;
    this.#notify();
    return entries.sort((a, b) => a.seq - b.seq).map((e) => e.item);
  }

  /** Resolves once at most `n` items are held, or when `signal` aborts. */
  waitForSizeAtMost(n: number, signal?: AbortSignal): Promise<void> {
    return this.#waitFor(() => this.size <= n, signal);
  }

  /** Resolves once nothing runs (queued items, if any, are left as they are). */
  whenNothingRuns(signal?: AbortSignal): Promise<void> {
    return this.#waitFor(() => this.#running.size === 0, signal);
  }

  #waitFor(ready: () => boolean, signal?: AbortSignal): Promise<void> {
    if (ready() || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const waiter: Waiter = {
        ready,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        waiter.resolve();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  #notify(): void {
    if (this.#waiters.length === 0) return;
    const still: Waiter[] = [];
    for (const w of this.#waiters) {
      if (w.ready()) w.resolve();
      else still.push(w);
    }
    this.#waiters = still;
  }

  #dispatch(): void {
    while (this.#running.size < this.#concurrency && this.#ready.length > 0) {
      const key = this.#ready.shift()!;
      const queue = this.#queues.get(key)!;
      const entry = queue.shift()!;
      if (queue.length === 0) this.#queues.delete(key);
      this.#queued--;
      this.#start(key, entry.item);
    }
  }

  #start(key: string, item: T): void {
    this.#running.set(key, item);
    let p: Promise<void>;
    try {
      p = this.#run(item);
    } catch (err) {
      p = Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    void p
      .catch((err: unknown) => {
        try {
          this.#onError(err, item);
        } catch {
          // a failing error reporter must not stall the key
        }
      })
      .finally(() => {
        this.#running.delete(key);
        // Its next item (if any) waits behind keys that were already waiting: round-robin.
        if (this.#queues.has(key)) this.#ready.push(key);
        this.#dispatch();
        this.#notify();
      });
  }
}
