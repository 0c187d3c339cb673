import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { EventMetadata } from '@stagehook/contracts';
import { EventStore, handleCommand, type CommandFrom, type CommandResult } from '@stagehook/event-store';
import { DataSource, type EntityManager } from 'typeorm';
import { DatasetExistsError, ItemExistsError } from '../domain/errors.js';
import { itemDecider, itemStreamId, type ItemCommand, type ItemState } from '../domain/item.decider.js';
import type { Dataset } from './items.query-repository.js';

const PG_UNIQUE_VIOLATION = '23505';
const COMMAND_RETRIES = 10;

function isUniqueViolation(err: unknown, constraint: string): boolean {
  const e = err as { code?: string; constraint?: string; driverError?: { code?: string; constraint?: string } };
  return (e.driverError?.code ?? e.code) === PG_UNIQUE_VIOLATION && (e.driverError?.constraint ?? e.constraint) === constraint;
}

/**
 * The write side: item streams (load, decide, append), new datasets and project names. Reads go
 * through ItemsQueryRepository.
 */
@Injectable()
export class ItemsRepository {
  constructor(
    private readonly dataSource: DataSource,
    private readonly store: EventStore,
  ) {}

  async createDataset(projectId: string, name: string, slug: string): Promise<Dataset> {
    const id = randomUUID();
    try {
      const rows: { created_at: Date }[] = await this.dataSource.query(`INSERT INTO datasets (id, project_id, name, slug) VALUES ($1, $2, $3, $4) RETURNING created_at`, [
        id,
        projectId,
        name,
        slug,
      ]);
      return { id, projectId, name, slug, createdAt: rows[0].created_at.toISOString() };
    } catch (err) {
      if (isUniqueViolation(err, 'datasets_project_slug_uq')) throw new DatasetExistsError(slug);
      throw err;
    }
  }

  /** Names the project (read it back with ItemsQueryRepository.project). */
  async saveProject(projectId: string, name: string, slug: string, by: string): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO items_projects (project_id, name, slug, updated_by) VALUES ($1, $2, $3, $4)
       ON CONFLICT (project_id) DO UPDATE SET name = EXCLUDED.name, slug = EXCLUDED.slug, updated_by = EXCLUDED.updated_by, updated_at = now()`,
      [projectId, name, slug, by],
    );
  }

  async handle(itemId: string, command: CommandFrom<ItemCommand, ItemState>, metadata: EventMetadata, manager?: EntityManager): Promise<CommandResult<ItemState>> {
    // Several annotators write one item at once; every item command re-decides against the newer
    // state after a conflict (adds commute, rules are re-checked), so it is retried more than the
    // default 3 times before a 409 reaches the client.
    return handleCommand(this.store, itemStreamId(itemId), itemDecider, command, { metadata, manager, streamType: 'item', retries: COMMAND_RETRIES });
  }

  /** Runs `fn` in one transaction: appends made through its manager commit together or not at all. */
  transaction<T>(fn: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(fn);
  }

  /** Registers all items or none: one transaction for the whole bulk request. */
  async registerMany(commands: Extract<ItemCommand, { type: 'RegisterItem' }>[], metadata: EventMetadata): Promise<CommandResult<ItemState>[]> {
    try {
      return await this.dataSource.transaction(async (tx) => {
        const out: CommandResult<ItemState>[] = [];
        for (const c of commands) out.push(await this.handle(c.itemId, c, metadata, tx));
        return out;
      });
    } catch (err) {
      if (isUniqueViolation(err, 'items_view_dataset_name_uq')) throw new ItemExistsError('an item with one of these names in this dataset');
      throw err;
    }
  }
}
