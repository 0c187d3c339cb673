import type { EntityManager } from 'typeorm';

/**
 * Rows of a statement with RETURNING. TypeORM's PostgreSQL driver returns `[rows, affected]` for
 * UPDATE and DELETE but plain rows for INSERT and SELECT; reading `.length` of the pair would
 * always say 2.
 */
export async function returning<T>(m: Pick<EntityManager, 'query'>, sql: string, args: unknown[]): Promise<T[]> {
  const r: unknown = await m.query(sql, args);
  if (Array.isArray(r) && r.length === 2 && Array.isArray(r[0]) && typeof r[1] === 'number') return r[0] as T[];
  return r as T[];
}
