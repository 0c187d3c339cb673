import type { AfterQueryEvent, DataSource, EntityManager, EntitySubscriberInterface, QueryRunner, TransactionCommitEvent, TransactionRollbackEvent } from 'typeorm';

/**
 * Work that must wait until a caller's transaction has committed (its rows are visible to others),
 * and must not happen if it rolls back: a TypeORM subscriber on the data source tells which. Work
 * for an append outside any transaction runs at once.
 */
export class AfterCommit {
  private readonly pending = new WeakMap<QueryRunner, Array<() => void>>();
  private readonly subscriber: EntitySubscriberInterface = {
    // A COMMIT of a transaction a failed statement aborted (a caller swallowed the error) is
    // answered ROLLBACK, without an error: TypeORM then reports a commit. Dropped here first.
    afterQuery: (event: AfterQueryEvent) => {
      if (event.query === 'COMMIT' && isRollback(event.rawResults)) this.settle(event.queryRunner, false);
    },
    afterTransactionCommit: (event: TransactionCommitEvent) => this.settle(event.queryRunner, true),
    afterTransactionRollback: (event: TransactionRollbackEvent) => this.settle(event.queryRunner, false),
  };

  constructor(private readonly dataSource: DataSource) {}

  /** Runs `fn` once `manager`'s transaction commits (never if it rolls back), or now outside one. */
  run(manager: EntityManager | undefined, fn: () => void): void {
    const runner = manager?.queryRunner;
    if (!runner?.isTransactionActive) return fn();
    // Registered on first use: the data source rebuilds its subscriber list when it initialises.
    if (!this.dataSource.subscribers.includes(this.subscriber)) this.dataSource.subscribers.push(this.subscriber);
    const queued = this.pending.get(runner);
    if (queued) queued.push(fn);
    else this.pending.set(runner, [fn]);
  }

  private settle(runner: QueryRunner | undefined, committed: boolean): void {
    const queued = runner && this.pending.get(runner);
    if (!queued) return;
    // A savepoint released is not the commit: wait for the outermost transaction's end. A savepoint
    // rolled back may have undone any of the queued work's writes: all of it is dropped.
    if (committed && runner.isTransactionActive) return;
    this.pending.delete(runner);
    if (committed) for (const fn of queued) fn();
  }
}

/** pg's result of a statement PostgreSQL answered with the ROLLBACK command tag. */
function isRollback(raw: unknown): boolean {
  return typeof raw === 'object' && raw !== null && 'command' in raw && raw.command === 'ROLLBACK';
}
