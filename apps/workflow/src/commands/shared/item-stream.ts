import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { type EventMetadata, type ItemSummary, WORKFLOW_ITEM_EVENT_TYPES } from '@stagehook/contracts';
import { type CommandFrom, EventStore, fold, handleCommand, loadState, narrowEvents, type StoredEventOf } from '@stagehook/event-store';
import { MetricsService } from '@stagehook/platform';
import type { EntityManager } from 'typeorm';
import { type Graph, webhookEndpoints } from '../../domain/graph.js';
import { type EndpointUnusable, type ItemCommand, type ItemEvent, itemDecider, itemSnapshotting, type ItemState, type MoveContext } from '../../domain/item.decider.js';
import { DefinitionsRepository } from '../../persistence/definitions.repository.js';
import { EndpointStatusRepository } from '../../persistence/endpoint-status.repository.js';
import { conflictsAs409 } from './conflicts.js';

/** Workflow ids are server-made UUIDs (fixed length), so this id cannot be read two ways. */
export const itemStreamId = (workflowId: string, itemId: string) => `wfitem-${workflowId}-${itemId}`;

export interface ClientContext {
  /** The item version the client saw (If-Match or body); the frozen version is never lower. */
  itemVersion?: number;
  /** The visit the client acted on; a command on a visit that moved on is a 409. */
  visitId?: string;
  by?: string;
  correlationId?: string;
}

/**
 * The shell around the item decider that every item command's handler shares: loads what a
 * command needs as data (the graph of the item's workflow version, dead endpoints), builds its
 * context (clock, visit ids, item version), decides, appends with the stream version it decided
 * on, and counts the stage entries.
 */
@Injectable()
export class ItemStream {
  private readonly entries: ReturnType<MetricsService['counter']>;

  constructor(
    private readonly store: EventStore,
    private readonly definitions: DefinitionsRepository,
    private readonly endpoints: EndpointStatusRepository,
    metrics: MetricsService,
  ) {
    this.entries = metrics.counter({ name: 'stagehook_workflow_stage_entries_total', help: 'Stage entries by stage type', labelNames: ['stage_type'] });
  }

  /** The graph of a workflow version (immutable once saved). */
  async graphOf(workflowId: string, version: number, manager?: EntityManager): Promise<Graph> {
    const def = await this.definitions.find(workflowId, version, manager);
    if (!def) throw new Error(`workflow ${workflowId} version ${version} is missing`);
    return def.stages;
  }

  /** Which endpoints the graph's webhook stages name are disabled or deleted now. */
  unusable(projectId: string, graph: Graph, manager?: EntityManager): Promise<Record<string, EndpointUnusable>> {
    return this.endpoints.unusable(projectId, webhookEndpoints(graph), manager);
  }

  /** `unusable` as this process read it within the last second (see EndpointStatusRepository). */
  unusableRecently(projectId: string, graph: Graph): Promise<Record<string, EndpointUnusable>> {
    return this.endpoints.unusableRecently(projectId, webhookEndpoints(graph));
  }

  /**
   * The item's state as this process last decided it (else read): for a look before a
   * transaction, which decides nothing on it (the command checks it again).
   */
  async peek(streamId: string): Promise<ItemState> {
    return (await loadState(this.store, streamId, itemDecider, undefined, { trustCache: true })).state;
  }

  context(graph: Graph, itemVersion: number, unusableEndpoints: MoveContext['unusableEndpoints'], client: ClientContext, item?: ItemSummary): MoveContext {
    return {
      graph,
      now: new Date(),
      // One command enters at most every stage once plus the first: fail-fast chains are bounded.
      visitIds: Array.from({ length: graph.length + 1 }, () => randomUUID()),
      itemVersion,
      ...(item ? { item } : {}),
      unusableEndpoints,
      ...(client.by ? { by: client.by } : {}),
      ...(client.visitId ? { expectedVisitId: client.visitId } : {}),
    };
  }

  metadata(projectId: string, correlationId?: string): EventMetadata {
    return { source: 'workflow', projectId, ...(correlationId ? { correlationId } : {}) };
  }

  /**
   * Decide and append; a lost race is a 409 (retried first when outside a caller's transaction).
   * The events appended (none when the command changed nothing).
   */
  async run(streamId: string, command: CommandFrom<ItemCommand, ItemState>, metadata: EventMetadata, manager?: EntityManager): Promise<StoredEventOf<ItemEvent>[]> {
    const exec = async () => {
      const res = await handleCommand(this.store, streamId, itemDecider, command, { metadata, manager, streamType: 'wfitem' });
      this.countEntries(res.events);
      return narrowEvents<ItemEvent>(res.events, WORKFLOW_ITEM_EVENT_TYPES);
    };
    // Inside a caller's transaction the caller decides (a consumer retries the whole message).
    return manager ? exec() : conflictsAs409(exec);
  }

  /**
   * Appends the events of an item's first command to its new stream (expected version 0: nothing
   * to load first). An item added meanwhile makes it throw ConcurrencyConflictError.
   */
  async appendNew(streamId: string, events: readonly ItemEvent[], metadata: EventMetadata, manager: EntityManager): Promise<void> {
    const res = await this.store.append(
      streamId,
      0,
      events.map((e) => ({ id: randomUUID(), type: e.type, schemaVersion: this.store.schemaVersion(e.type), data: e.data, metadata })),
      { manager, streamType: 'wfitem' },
    );
    // The item's next command (its start, usually) then decides without reading the new stream.
    // Folded from the events as stored (their keys in jsonb's order), as a later read folds them.
    const state = fold(itemDecider, narrowEvents<ItemEvent>(res.events, WORKFLOW_ITEM_EVENT_TYPES));
    this.store.cacheState(streamId, { snapshotVersion: itemSnapshotting.version, version: res.version, state, storedAt: 0 }, manager);
    this.countEntries(events);
  }

  private countEntries(events: ReadonlyArray<{ type: string; data: unknown }>): void {
    for (const e of events) {
      if (e.type === 'workflow.stage.entered') this.entries.inc({ stage_type: (e.data as { stageType: string }).stageType });
    }
  }
}
