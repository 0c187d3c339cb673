import { Injectable } from '@nestjs/common';
import { ConcurrencyConflictError, EventStore } from '@stagehook/event-store';
import { DomainError } from '@stagehook/platform';
import { ItemHeads } from '../../adapters/item-heads.js';
import { WorkflowErrorCode } from '../../domain/errors.js';
import { itemDecider } from '../../domain/item.decider.js';
import { DefinitionsRepository } from '../../persistence/definitions.repository.js';
import { PositionsRepository } from '../../persistence/positions.repository.js';
import { type ClientContext, ItemStream, itemStreamId } from '../shared/item-stream.js';

const ADD_CHUNK = 50;
const ADD_PARALLEL = 4;

/**
 * AddItem for many items: validated through the items service (unknown ids are a 422 listing
 * them), added to the dataset stage of the workflow's latest version. Items already in the
 * workflow are reported, not re-added, so a retried request is harmless.
 */
@Injectable()
export class AddItemsHandler {
  constructor(
    private readonly store: EventStore,
    private readonly stream: ItemStream,
    private readonly definitions: DefinitionsRepository,
    private readonly positions: PositionsRepository,
    private readonly heads: ItemHeads,
  ) {}

  async handle(
    projectId: string,
    workflowId: string,
    itemIds: readonly string[],
    client: ClientContext,
  ): Promise<{ workflowVersion: number; added: string[]; alreadyPresent: string[] }> {
    const def = await this.definitions.getInProject(projectId, workflowId);
    const unique = [...new Set(itemIds)];
    const present = await this.positions.present(workflowId, unique);
    const toAdd = unique.filter((id) => !present.has(id));
    const { versions, unknown } = await this.heads.versions(projectId, toAdd);
    if (unknown.length > 0) {
      throw new DomainError(WorkflowErrorCode.UNKNOWN_ITEMS, `unknown items: ${unknown.slice(0, 20).join(', ')}${unknown.length > 20 ? ', …' : ''}`, { itemIds: unknown });
    }
    const unusable = await this.stream.unusable(projectId, def.stages);
    const metadata = this.stream.metadata(projectId, client.correlationId);
    const raced = new Set<string>();
    // Chunks in parallel transactions: the work is round trips, not CPU. A failed request may
    // leave some items added; its retry skips them (they are reported as already present).
    await forEachLimit(chunks(toAdd, ADD_CHUNK), ADD_PARALLEL, (chunk) =>
      this.store.dataSource.transaction(async (manager) => {
        for (const itemId of chunk) {
          const events = itemDecider.decide(
            { type: 'AddItem', workflowId, workflowVersion: def.version, projectId, itemId, ...this.stream.context(def.stages, versions.get(itemId) ?? 0, unusable, client) },
            itemDecider.initialState(),
          );
          try {
            // A new stream (expected version 0): nothing to load first.
            await this.stream.appendNew(itemStreamId(workflowId, itemId), events, metadata, manager);
          } catch (err) {
            // Added by a concurrent request since we looked: present, not an error.
            if (err instanceof ConcurrencyConflictError) raced.add(itemId);
            else throw err;
          }
        }
      }),
    );
    return { workflowVersion: def.version, added: toAdd.filter((id) => !raced.has(id)), alreadyPresent: unique.filter((id) => present.has(id) || raced.has(id)) };
  }
}

function chunks<T>(xs: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}

async function forEachLimit<T>(xs: readonly T[], limit: number, fn: (x: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < xs.length) await fn(xs[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, xs.length) }, worker));
}
