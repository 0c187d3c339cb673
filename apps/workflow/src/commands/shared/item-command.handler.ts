import { Injectable } from '@nestjs/common';
import type { ItemSummary } from '@stagehook/contracts';
import { DomainError, ErrorCode, NotFoundError } from '@stagehook/platform';
import { ItemHeads } from '../../adapters/item-heads.js';
import { ItemNotInWorkflowError } from '../../domain/errors.js';
import { type ClientMove, stageEnteredBy } from '../../domain/item.decider.js';
import { DefinitionsRepository } from '../../persistence/definitions.repository.js';
import { PositionsRepository } from '../../persistence/positions.repository.js';
import { positionAfter, type PositionView } from '../../persistence/views.js';
import { type ClientContext, ItemStream, itemStreamId } from './item-stream.js';

/** The item commands a client sends about one item in a workflow (advance-item, move-item, set-stage). */
export type ClientItemCommand = Exclude<ClientMove, { type: 'SetStage' }> | { type: 'SetStage'; stageId: string; by: string; reason: string };

/**
 * Load → decide → append for a client's command on one item: the graph of the item's workflow
 * version, the item's current version from the items service when the command enters a webhook
 * stage (asked now: see ItemHeads), dead endpoints; answers the item's position after the command.
 */
@Injectable()
export class ItemCommandHandler {
  constructor(
    private readonly stream: ItemStream,
    private readonly definitions: DefinitionsRepository,
    private readonly positions: PositionsRepository,
    private readonly heads: ItemHeads,
  ) {}

  async handle(projectId: string, workflowId: string, itemId: string, command: ClientItemCommand, client: ClientContext): Promise<PositionView> {
    await this.definitions.assertInProject(workflowId, projectId);
    // Built from the item's stream as loaded to decide (its workflow version), not from a read of
    // the position first: one round trip fewer, and the graph is the one the state was folded with.
    const appended = await this.stream.run(
      itemStreamId(workflowId, itemId),
      async (state) => {
        if (state.workflowId === undefined) throw new ItemNotInWorkflowError(itemId);
        const graph = await this.stream.graphOf(workflowId, state.workflowVersion);
        // Only a webhook stage's entry freezes a version someone reads (delivery exports it), so
        // only then is items asked now; any other entry keeps the highest version frozen so far,
        // as routing an outcome does. A version the client names is checked against items always.
        const next = stageEnteredBy(command, state, graph);
        const asksItems = next === undefined || next.type === 'webhook' || client.itemVersion !== undefined;
        const frozen = asksItems ? await this.currentVersion(projectId, itemId, client) : { version: state.itemVersion };
        const unusable = await this.stream.unusableRecently(projectId, graph);
        return { ...command, ...this.stream.context(graph, frozen.version, unusable, client, frozen.item) };
      },
      this.stream.metadata(projectId, client.correlationId),
    );
    // A move answers from its events; one that entered no stage (the item completed) reads the row.
    const after = positionAfter(appended) ?? (await this.positions.find(workflowId, itemId));
    if (!after) throw new Error('an item in a workflow has a position');
    return after;
  }

  /** The version a stage entry freezes, asked of items now: its head, or the client's if higher (never above the head). */
  private async currentVersion(projectId: string, itemId: string, client: ClientContext): Promise<{ version: number; item?: ItemSummary }> {
    const found = await this.heads.head(projectId, itemId);
    if (found === null) throw new NotFoundError(`item ${itemId} not found`);
    const head = found.version;
    // Items commits an annotation before answering the annotator, so a version a client saw is
    // never above the head: one that is was made up, and must not be frozen into a stage entry
    // (delivery could never export it).
    if (client.itemVersion !== undefined && client.itemVersion > head) {
      throw new DomainError(ErrorCode.PRECONDITION_FAILED, `If-Match names version ${client.itemVersion} of item ${itemId}, but its latest version is ${head}`);
    }
    return { version: Math.max(head, client.itemVersion ?? 0), ...(found.item ? { item: found.item } : {}) };
  }
}
