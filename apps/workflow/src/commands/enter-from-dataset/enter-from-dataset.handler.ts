import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { itemDecider } from '../../domain/item.decider.js';
import { DefinitionsRepository } from '../../persistence/definitions.repository.js';
import { PositionsRepository } from '../../persistence/positions.repository.js';
import { ItemStream, itemStreamId } from '../shared/item-stream.js';

/**
 * A dataset-bound workflow takes an item just registered in its dataset: the same AddItem and
 * StartItem a client sends (POST /workflows/:id/items, then start), decided in the consumer's
 * transaction with the registration's item version (no request to items). An item already in the
 * workflow (added by hand meanwhile, or a redelivery) is left as it is.
 */
@Injectable()
export class EnterFromDatasetHandler {
  constructor(
    private readonly stream: ItemStream,
    private readonly definitions: DefinitionsRepository,
    private readonly positions: PositionsRepository,
  ) {}

  /** Returns whether the item entered. */
  async handle(
    manager: EntityManager,
    r: { projectId: string; workflowId: string; itemId: string; itemVersion: number; eventId: string; correlationId?: string },
  ): Promise<boolean> {
    const def = await this.definitions.find(r.workflowId, undefined, manager);
    if (!def || def.projectId !== r.projectId) return false;
    if ((await this.positions.present(r.workflowId, [r.itemId], manager)).has(r.itemId)) return false;
    const unusable = await this.stream.unusable(r.projectId, def.stages, manager);
    const added = itemDecider.decide(
      {
        type: 'AddItem',
        workflowId: r.workflowId,
        workflowVersion: def.version,
        projectId: r.projectId,
        itemId: r.itemId,
        ...this.stream.context(def.stages, r.itemVersion, unusable, {}),
      },
      itemDecider.initialState(),
    );
    const state = added.reduce(itemDecider.evolve, itemDecider.initialState());
    const started = itemDecider.decide({ type: 'StartItem', ...this.stream.context(def.stages, r.itemVersion, unusable, {}) }, state);
    const events = [...added, ...started];
    const metadata = { ...this.stream.metadata(r.projectId, r.correlationId), causationId: r.eventId };
    // A new stream: a concurrent add makes this append fail, and the consumer's retry finds the item present.
    await this.stream.appendNew(itemStreamId(r.workflowId, r.itemId), events, metadata, manager);
    return true;
  }
}
