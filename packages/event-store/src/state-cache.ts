import type { EntityManager } from 'typeorm';
import type { AfterCommit } from './after-commit.js';
import type { CachedState } from './store-options.js';

/**
 * The latest folded state of the streams this process decided on most recently (LRU). Only states
 * of committed versions are kept: one decided inside a caller's transaction is held back until
 * that transaction commits (AfterCommit), and dropped if it rolls back — a later append by
 * someone else would reuse its version number.
 */
export class StateCache {
  // Insertion order is recency order: a hit is deleted and set again, the oldest key is evicted.
  private readonly states = new Map<string, CachedState>();

  constructor(
    private readonly afterCommit: AfterCommit,
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
    this.afterCommit.run(manager, () => this.keep(streamId, entry));
  }

  private keep(streamId: string, entry: CachedState): void {
    const had = this.states.get(streamId);
    // Concurrent commands in this process may finish out of order: never go back in versions.
    if (had && had.snapshotVersion === entry.snapshotVersion && had.version > entry.version) return;
    this.states.delete(streamId);
    this.states.set(streamId, entry);
    if (this.states.size > this.size) this.states.delete(this.states.keys().next().value!);
  }
}
