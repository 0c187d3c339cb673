import type { DataSource, EntityManager, EntitySubscriberInterface, QueryRunner, TransactionCommitEvent, TransactionRollbackEvent } from 'typeorm';
import type { CachedState } from './store-options.js';

/**
 * The latest folded state of the streams this process decided on most recently (LRU). Only states
 * of committed versions are kept: one decided inside a caller's transaction is held back until
 * that transaction commits (a TypeORM subscriber on the data source tells), and dropped if it
 * rolls back — a later append by someone else would reuse its version number.
 */
export class StateCache {
  // Insertion order is recency order: a hit is deleted and set again, the oldest key is evicted.
  private readonly states = new Map<string, CachedState>();
  private readonly pending = new WeakMap<QueryRunner, Map<string, CachedState>>();
  private readonly subscriber: EntitySubscriberInterface = {
    afterTransactionCommit: (event: TransactionCommitEvent) => this.settle(event.queryRunner, true),
    afterTransactionRollback: (event: TransactionRollbackEvent) => this.settle(event.queryRunner, false),
  };

  constructor(
    private readonly dataSource: DataSource,
    private readonly size: number,
  ) {}

  get(streamId: string): CachedState | undefined {
    const hit = this.states.get(streamId);
    if (hit) {
      this.states.delete(streamId);
      this.states.set(streamId, hit);
    }
    return hit;
  }

  /** Keeps `entry` now, or when `manager`'s transaction commits if it is inside one. */
  set(streamId: string, entry: CachedState, manager?: EntityManager): void {
    const runner = manager?.queryRunner;
    if (!runner?.isTransactionActive) return this.keep(streamId, entry);
    // Registered on first use: the data source rebuilds its subscriber list when it initialises.
    if (!this.dataSource.subscribers.includes(this.subscriber)) this.dataSource.subscribers.push(this.subscriber);
    let held = this.pending.get(runner);
    if (!held) this.pending.set(runner, (held = new Map<string, CachedState>()));
    held.set(streamId, entry);
  }

  private keep(streamId: string, entry: CachedState): void {
    const had = this.states.get(streamId);
    // Concurrent commands in this process may finish out of order: never go back in versions.
    if (had && had.snapshotVersion === entry.snapshotVersion && had.version > entry.version) return;
    this.states.delete(streamId);
    this.states.set(streamId, entry);
    if (this.states.size > this.size) this.states.delete(this.states.keys().next().value!);
  }

  private settle(runner: QueryRunner | undefined, committed: boolean): void {
    const held = runner && this.pending.get(runner);
    if (!held) return;
    // A savepoint released is not the commit: wait for the outermost transaction's end. A
    // savepoint rolled back may have undone any of the held states: all are dropped.
    if (committed && runner.isTransactionActive) return;
    this.pending.delete(runner);
    if (committed) for (const [streamId, entry] of held) this.keep(streamId, entry);
  }
}
