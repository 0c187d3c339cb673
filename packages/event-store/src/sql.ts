import type { DataSource, EntityManager, QueryRunner } from 'typeorm';

/**
 * Raw SQL on the connection of `manager`'s transaction when given, else on a pooled connection.
 * TypeORM's plain `query()` returns `[rows, count]` for UPDATE on PostgreSQL; the structured
 * form always gives the rows.
 */
export async function sql<R>(dataSource: DataSource, manager: EntityManager | undefined, text: string, params: unknown[] = []): Promise<R[]> {
  const runner: QueryRunner | undefined = manager?.queryRunner;
  if (runner) {
    const res = (await runner.query(text, params, true)) as { records: R[] };
    return res.records;
  }
  const own = dataSource.createQueryRunner();
  try {
    const res = (await own.query(text, params, true)) as { records: R[] };
    return res.records;
  } finally {
    await own.release();
  }
}
