import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ItemHeads } from '../../adapters/item-heads.js';
import type { EndpointUnusable } from '../../domain/item.decider.js';
import { PositionsRepository } from '../../persistence/positions.repository.js';
import type { PositionView } from '../../persistence/views.js';
import { ItemStream, itemStreamId } from '../shared/item-stream.js';

/** Positions read per query when failing the visits waiting on an endpoint. */
const WAITING_PAGE = 500;

/** An endpoint's change as the consumer saw it, for the events it causes. */
type EndpointChange = { projectId: string; endpointId: string; eventId: string; correlationId?: string };

/** The item commands an endpoint change issues to the positions on it. */
type EndpointCommand =
  { type: 'MarkEndpointUnusable'; visitId: string; endpointId: string; status: EndpointUnusable } | { type: 'ResumeVisit'; visitId: string; endpointId: string };

/**
 * MarkEndpointUnusable / ResumeVisit for every visit an endpoint's status change concerns: a
 * disabled or deleted endpoint fails the visits waiting on it, an endpoint usable again resumes
 * the visits parked on it.
 */
@Injectable()
export class ApplyEndpointStatusHandler {
  constructor(
    private readonly stream: ItemStream,
    private readonly positions: PositionsRepository,
    private readonly heads: ItemHeads,
  ) {}

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
    return this.routeOnEndpoint(manager, change, false, itemHeads, (pos) => ({ type: 'MarkEndpointUnusable', visitId: pos.visitId, endpointId, status }), {
      [endpointId]: status,
    });
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
      const graph = await this.stream.graphOf(pos.workflowId, pos.workflowVersion, manager);
      const head = itemHeads.get(pos.itemId) ?? pos.itemVersion;
      const unusable = { ...(await this.stream.unusable(pos.projectId, graph, manager)), ...unusableNow };
      const routed = await this.stream.run(
        itemStreamId(pos.workflowId, pos.itemId),
        { ...command(pos), ...this.stream.context(graph, head, unusable, {}) },
        { ...this.stream.metadata(pos.projectId, change.correlationId), causationId: change.eventId },
        manager,
      );
      if (routed.length > 0) moved++;
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
}
