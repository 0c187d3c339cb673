import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { EventMetadata, ItemSummary } from '@stagehook/contracts';
import { ConcurrencyConflictError, EventStore, handleCommand } from '@stagehook/event-store';
import { ConflictError, DomainError, ErrorCode, foundInProject, MetricsService, NotFoundError } from '@stagehook/platform';
import type { EntityManager } from 'typeorm';
import { ItemNotInWorkflowError, WorkflowErrorCode } from '../domain/errors.js';
import { edgeTarget, stageById, type Graph } from '../domain/graph.js';
import { type EndpointUnusable, type ItemCommand, itemDecider, type MoveContext, type StageActionCommand } from '../domain/item.decider.js';
import { ItemHeads, type ItemHead } from '../shared/item-heads.js';
import { DefinitionsRepository, EndpointStatusRepository, PositionsRepository, type PositionView } from '../shared/repositories.js';

/** Workflow ids are server-made UUIDs (fixed length), so this id cannot be read two ways. */
export const itemStreamId = (workflowId: string, itemId: string) => `wfitem-${workflowId}-${itemId}`;

export const MAX_BULK_ITEMS = 1000;
const ADD_CHUNK = 50;
const ADD_PARALLEL = 4;

export type UserCommand = { type: StageActionCommand } | { type: 'MoveItem'; edge: string } | { type: 'SetStage'; stageId: string; by: string; reason: string };

export interface ClientContext {
  /** The item version the client saw (If-Match or body); the frozen version is never lower. */
  itemVersion?: number;
  /** The visit the client acted on; a command on a visit that moved on is a 409. */
  visitId?: string;
  by?: string;
  correlationId?: string;
}

export interface OutcomeInput {
  outcome: 'delivered' | 'failed';
  eventId: string;
  correlationId?: string;
  projectId: string;
  workflowId: string;
  itemId: string;
  visitId: string;
  deliveryId: string;
  lastError: string | null;
}

/**
 * The shell around the item decider: loads what a command needs as data (the graph of the
 * item's workflow version, the item's version from the items service, dead endpoints), decides,
 * appends with the stream version it decided on.
 */
/** Positions read per query when failing the visits waiting on an endpoint. */
const WAITING_PAGE = 500;

/** An endpoint's change as the consumer saw it, for the events it causes. */
type EndpointChange = { projectId: string; endpointId: string; eventId: string; correlationId?: string };

/** The item commands an endpoint change issues to the positions on it. */
type EndpointCommand =
  { type: 'MarkEndpointUnusable'; visitId: string; endpointId: string; status: EndpointUnusable } | { type: 'ResumeVisit'; visitId: string; endpointId: string };

@Injectable()
export class ItemCommandsService {
  private readonly entries: ReturnType<MetricsService['counter']>;
  private readonly outcomes: ReturnType<MetricsService['counter']>;

  constructor(
    private readonly store: EventStore,
    private readonly definitions: DefinitionsRepository,
    private readonly positions: PositionsRepository,
    private readonly endpoints: EndpointStatusRepository,
    private readonly heads: ItemHeads,
    metrics: MetricsService,
  ) {
    this.entries = metrics.counter({ name: 'stagehook_workflow_stage_entries_total', help: 'Stage entries by stage type', labelNames: ['stage_type'] });
    this.outcomes = metrics.counter({
      name: 'stagehook_workflow_delivery_outcomes_total',
      help: 'Delivery outcomes received: routed the current visit, or ignored (stale, duplicate, not a stage trigger)',
      labelNames: ['result'],
    });
  }

  /**
   * Adds items (validated through the items service: unknown ids are a 422 listing them) to the
   * dataset stage of the workflow's latest version. Items already in the workflow are reported,
   * not re-added, so a retried request is harmless.
   */
  async addItems(
    projectId: string,
    workflowId: string,
    itemIds: readonly string[],
    client: ClientContext,
  ): Promise<{ workflowVersion: number; added: string[]; alreadyPresent: string[] }> {
    const def = foundInProject(await this.definitions.find(workflowId), projectId, `workflow ${workflowId}`);
    const unique = [...new Set(itemIds)];
    const present = await this.positions.present(workflowId, unique);
    const toAdd = unique.filter((id) => !present.has(id));
    const { versions, unknown } = await this.heads.versions(projectId, toAdd);
    if (unknown.length > 0) {
      throw new DomainError(WorkflowErrorCode.UNKNOWN_ITEMS, `unknown items: ${unknown.slice(0, 20).join(', ')}${unknown.length > 20 ? ', …' : ''}`, { itemIds: unknown });
    }
    const unusable = await this.endpoints.unusable(projectId, webhookEndpoints(def.stages));
    const metadata = this.metadata(projectId, client.correlationId);
    const raced = new Set<string>();
    // Chunks in parallel transactions: the work is round trips, not CPU. A failed request may
    // leave some items added; its retry skips them (they are reported as already present).
    await forEachLimit(chunks(toAdd, ADD_CHUNK), ADD_PARALLEL, (chunk) =>
      this.store.dataSource.transaction(async (manager) => {
        for (const itemId of chunk) {
          const events = itemDecider.decide(
            { type: 'AddItem', workflowId, workflowVersion: def.version, projectId, itemId, ...this.context(def.stages, versions.get(itemId) ?? 0, unusable, client) },
            itemDecider.initialState(),
          );
          try {
            // A new stream (expected version 0): nothing to load first.
            await this.store.append(
              itemStreamId(workflowId, itemId),
              0,
              events.map((e) => ({ id: randomUUID(), type: e.type, schemaVersion: this.store.schemaVersion(e.type), data: e.data, metadata })),
              { manager, streamType: 'wfitem' },
            );
            this.countEntries(events);
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

  /**
   * A dataset-bound workflow takes an item just registered in its dataset: the same `add` and
   * `start` a client sends (POST /workflows/:id/items, then start), decided in the consumer's
   * transaction with the registration's item version (no request to items). An item already in
   * the workflow (added by hand meanwhile, or a redelivery) is left as it is. Returns whether it
   * entered.
   */
  async enterFromDataset(
    manager: EntityManager,
    r: { projectId: string; workflowId: string; itemId: string; itemVersion: number; eventId: string; correlationId?: string },
  ): Promise<boolean> {
    const def = await this.definitions.find(r.workflowId, undefined, manager);
    if (!def || def.projectId !== r.projectId) return false;
    if ((await this.positions.present(r.workflowId, [r.itemId], manager)).has(r.itemId)) return false;
    const unusable = await this.endpoints.unusable(r.projectId, webhookEndpoints(def.stages), manager);
    const added = itemDecider.decide(
      {
        type: 'AddItem',
        workflowId: r.workflowId,
        workflowVersion: def.version,
        projectId: r.projectId,
        itemId: r.itemId,
        ...this.context(def.stages, r.itemVersion, unusable, {}),
      },
      itemDecider.initialState(),
    );
    const state = added.reduce(itemDecider.evolve, itemDecider.initialState());
    const started = itemDecider.decide({ type: 'StartItem', ...this.context(def.stages, r.itemVersion, unusable, {}) }, state);
    const events = [...added, ...started];
    const metadata = { ...this.metadata(r.projectId, r.correlationId), causationId: r.eventId };
    // A new stream: a concurrent add makes this append fail, and the consumer's retry finds the item present.
    await this.store.append(
      itemStreamId(r.workflowId, r.itemId),
      0,
      events.map((e) => ({ id: randomUUID(), type: e.type, schemaVersion: this.store.schemaVersion(e.type), data: e.data, metadata })),
      { manager, streamType: 'wfitem' },
    );
    this.countEntries(events);
    return true;
  }

  /** start / submit / approve / reject / move / set stage on one item. */
  async command(projectId: string, workflowId: string, itemId: string, command: UserCommand, client: ClientContext): Promise<PositionView> {
    await this.definitions.assertInProject(workflowId, projectId);
    const pos = await this.positions.find(workflowId, itemId);
    if (!pos) throw new ItemNotInWorkflowError(itemId);
    const graph = await this.graphOf(workflowId, pos.workflowVersion);
    const found = await this.heads.head(projectId, itemId);
    if (found === null) throw new NotFoundError(`item ${itemId} not found`);
    const head = found.version;
    // Items commits an annotation before answering the annotator, so a version a client saw is
    // never above the head: one that is was made up, and must not be frozen into a stage entry
    // (delivery could never export it).
    if (client.itemVersion !== undefined && client.itemVersion > head) {
      throw new DomainError(ErrorCode.PRECONDITION_FAILED, `If-Match names version ${client.itemVersion} of item ${itemId}, but its latest version is ${head}`);
    }
    const unusable = await this.endpoints.unusable(projectId, webhookEndpoints(graph));
    const ctx = this.context(graph, Math.max(head, client.itemVersion ?? 0), unusable, client, found.item);
    await this.run(itemStreamId(workflowId, itemId), { ...command, ...ctx }, this.metadata(projectId, client.correlationId));
    const after = await this.positions.find(workflowId, itemId);
    if (!after) throw new Error('an item in a workflow has a position');
    return after;
  }

  /**
   * Routes a webhook stage's visit on a delivery outcome, inside the consumer's transaction (the
   * idempotency record commits with the events). Returns whether it moved the item.
   */
  async routeOutcome(manager: EntityManager, o: OutcomeInput, itemHead: ItemHead | null): Promise<boolean> {
    // Every read on the handler's own connection: a second pooled one per handler could exhaust the pool.
    const pos = await this.positions.find(o.workflowId, o.itemId, manager);
    // Not ours, or already moved on: the decider would decide nothing; skip the items round trip.
    if (!pos || pos.projectId !== o.projectId || pos.visitId !== o.visitId) {
      this.outcomes.inc({ result: 'ignored' });
      return false;
    }
    const graph = await this.graphOf(o.workflowId, pos.workflowVersion, manager);
    const head = itemHead?.version ?? pos.itemVersion;
    const unusable = await this.endpoints.unusable(o.projectId, webhookEndpoints(graph), manager);
    const res = await this.run(
      itemStreamId(o.workflowId, o.itemId),
      {
        type: 'RecordOutcome',
        outcome: o.outcome,
        visitId: o.visitId,
        deliveryId: o.deliveryId,
        lastError: o.lastError,
        ...this.context(graph, head, unusable, {}, itemHead?.item),
      },
      { ...this.metadata(o.projectId, o.correlationId), causationId: o.eventId },
      manager,
    );
    this.outcomes.inc({ result: res ? 'routed' : 'ignored' });
    return res;
  }

  /**
   * Whether routing this outcome enters a webhook stage, whose payload freezes the item's current
   * version (so the consumer asks items for it before its transaction). Any other stage keeps the
   * version the webhook visit froze, and no request is made. Reads outside any transaction; an
   * outcome about a visit that moved on needs nothing (routing will ignore it).
   */
  async outcomeEntersWebhook(o: Pick<OutcomeInput, 'projectId' | 'workflowId' | 'itemId' | 'visitId' | 'outcome'>): Promise<boolean> {
    const pos = await this.positions.find(o.workflowId, o.itemId);
    if (!pos || pos.projectId !== o.projectId || pos.visitId !== o.visitId) return false;
    const graph = await this.graphOf(o.workflowId, pos.workflowVersion);
    const stage = stageById(graph, pos.stageId);
    const next = stage ? stageById(graph, edgeTarget(stage, o.outcome === 'delivered' ? 'succeeded' : 'failed') ?? '') : undefined;
    // A graph that does not say (never on a saved version): ask, as before.
    return next === undefined || next.type === 'webhook';
  }

  /**
   * The items' current versions for the visits waiting on an endpoint (or, `parked`, parked on
   * it), asked before the consumer's transaction opens (no NATS request inside it).
   */
  async headsWaitingOn(projectId: string, endpointId: string, parked = false): Promise<Map<string, number>> {
    const heads = new Map<string, number>();
    for await (const pos of this.onEndpoint(undefined, projectId, endpointId, parked)) {
      const v = await this.heads.versionOrWait(projectId, pos.itemId);
      if (v !== null) heads.set(pos.itemId, v);
    }
    return heads;
  }

  /**
   * The registry disabled or deleted an endpoint: visits waiting on it leave through `failed`
   * now rather than wait for a delivery that will not come. `itemHeads` come from
   * `headsWaitingOn`; an item that entered since then keeps the version it entered with.
   * Returns how many moved.
   */
  failWaitingOn(manager: EntityManager, change: EndpointChange & { status: EndpointUnusable }, itemHeads: ReadonlyMap<string, number>): Promise<number> {
    const { endpointId, status } = change;
    return this.routeOnEndpoint(manager, change, false, itemHeads, (pos) => ({ type: 'MarkEndpointUnusable', visitId: pos.visitId, endpointId, status }), { [endpointId]: status });
  }

  /**
   * The endpoint can take deliveries again: items parked on it enter their stage afresh (and get
   * a delivery). Returns how many resumed.
   */
  resumeParkedOn(manager: EntityManager, change: EndpointChange, itemHeads: ReadonlyMap<string, number>): Promise<number> {
    return this.routeOnEndpoint(manager, change, true, itemHeads, (pos) => ({ type: 'ResumeVisit', visitId: pos.visitId, endpointId: change.endpointId }));
  }

  /** Runs an endpoint command for each position waiting (or parked) on the endpoint; how many moved. */
  private async routeOnEndpoint(
    manager: EntityManager,
    change: EndpointChange,
    parked: boolean,
    itemHeads: ReadonlyMap<string, number>,
    command: (pos: PositionView) => EndpointCommand,
    unusableNow: Record<string, EndpointUnusable> = {},
  ): Promise<number> {
    let moved = 0;
    for await (const pos of this.onEndpoint(manager, change.projectId, change.endpointId, parked)) {
      const graph = await this.graphOf(pos.workflowId, pos.workflowVersion, manager);
      const head = itemHeads.get(pos.itemId) ?? pos.itemVersion;
      const unusable = { ...(await this.endpoints.unusable(pos.projectId, webhookEndpoints(graph), manager)), ...unusableNow };
      const routed = await this.run(
        itemStreamId(pos.workflowId, pos.itemId),
        { ...command(pos), ...this.context(graph, head, unusable, {}) },
        { ...this.metadata(pos.projectId, change.correlationId), causationId: change.eventId },
        manager,
      );
      if (routed) moved++;
    }
    return moved;
  }

  /** Positions waiting for a delivery on an endpoint (or parked on it), WAITING_PAGE per query, by item id. */
  private async *onEndpoint(manager: EntityManager | undefined, projectId: string, endpointId: string, parked: boolean): AsyncGenerator<PositionView> {
    let afterItemId: string | undefined;
    for (;;) {
      const page = parked
        ? await this.positions.parkedOn(manager, projectId, endpointId, { afterItemId, limit: WAITING_PAGE })
        : await this.positions.waitingOnEndpoint(manager, projectId, endpointId, { afterItemId, limit: WAITING_PAGE });
      yield* page;
      if (page.length < WAITING_PAGE) return;
      afterItemId = page[page.length - 1].itemId;
    }
  }

  private async graphOf(workflowId: string, version: number, manager?: EntityManager): Promise<Graph> {
    const def = await this.definitions.find(workflowId, version, manager);
    if (!def) throw new Error(`workflow ${workflowId} version ${version} is missing`);
    return def.stages;
  }

  private context(graph: Graph, itemVersion: number, unusableEndpoints: MoveContext['unusableEndpoints'], client: ClientContext, item?: ItemSummary): MoveContext {
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

  private countEntries(events: ReadonlyArray<{ type: string; data: unknown }>): void {
    for (const e of events) {
      if (e.type === 'workflow.stage.entered') this.entries.inc({ stage_type: (e.data as { stageType: string }).stageType });
    }
  }

  private metadata(projectId: string, correlationId?: string): EventMetadata {
    return { source: 'workflow', projectId, ...(correlationId ? { correlationId } : {}) };
  }

  /** Decide and append; a lost race is a 409 (retried first when outside a caller's transaction). */
  private async run(streamId: string, command: ItemCommand, metadata: EventMetadata, manager?: EntityManager): Promise<boolean> {
    const exec = async () => {
      const res = await handleCommand(this.store, streamId, itemDecider, command, { metadata, manager, streamType: 'wfitem' });
      this.countEntries(res.events);
      return res.events.length > 0;
    };
    // Inside a caller's transaction the caller decides (a consumer retries the whole message).
    return manager ? exec() : conflictsAs409(exec);
  }
}

export function webhookEndpoints(graph: Graph): string[] {
  return graph.flatMap((s) => (s.type === 'webhook' && s.webhook ? [s.webhook.endpointId] : []));
}

/** A lost optimistic-concurrency race is the client's 409, not a 500. */
export async function conflictsAs409<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ConcurrencyConflictError) throw new ConflictError('the item was moved concurrently; reload and retry', { streamId: err.streamId });
    throw err;
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
