import { randomUUID } from 'node:crypto';
import { isEventOf, traceContextOf, type CloudEvent, type TraceContext, type EventPublishedData, type ItemSummary, type StageEnteredData } from '@stagehook/contracts';
import { activeTraceContext, type EventStore } from '@stagehook/event-store';
import { DependencyUnavailableError, NothingToDo, Outcome, settleEach, type BatchHandler, type BatchItem, type HandlerOutcome } from '@stagehook/messaging';
import { RecentReads } from '@stagehook/platform';
import type { EntityManager } from 'typeorm';
import { genericBody, stageEnteredBody, statusChangedBody, type WebhookBody } from '../../domain/payload.js';
import { CREATED, decideDelivery } from '../../domain/delivery-lifecycle.js';
import { resolveRetryPolicy, type RetryDefaults } from '../../domain/retry-policy.js';
import type { DeliveryQueue, NewDelivery, NewMessage } from '../../persistence/delivery-queue.repository.js';
import type { EndpointReadRepository, EndpointView } from '../../persistence/endpoint-read.repository.js';
import type { ItemTagRepository } from '../../persistence/item-tag.repository.js';
import type { DarwinFetch, DarwinSource } from '../../adapters/darwin-source.js';
import type { DeliveryHandoff } from '../shared/handoff.js';
import { matchEndpoints, mayReach } from './matching.js';
import { MessageWriter, type QueuedDelivery, type QueuedMessage } from './message-writer.js';

/** How long prepare trusts an endpoint it read (see `recentEndpoint`), and how many it keeps. */
const RECENT_ENDPOINT_MS = 1_000;
const RECENT_ENDPOINTS_MAX = 10_000;

export interface CreateDeliveriesSettings {
  /** The configured schedules, which new deliveries' retry policies are resolved from. */
  retryDefaults: RetryDefaults;
  serviceName: string;
  /** Deliveries of a stage entry whose endpoint is unknown are retried this many times first. */
  unknownEndpointRetries: number;
}

/** What handling one event of a batch may use: the batch's transaction and shared reads. */
export interface EventScope {
  manager: EntityManager;
  /** What `prepare` fetched for this event before the transaction opened (a Darwin export). */
  prepared?: unknown;
  /** 1 on the first delivery. */
  deliveryCount: number;
  streamSequence: number;
  /** The project's endpoints, read once per batch. */
  endpointsOf(projectId: string): Promise<EndpointView[]>;
  /** A message to create with the batch's others, if this event is acked. */
  queue(msg: NewMessage, deliveries: QueuedDelivery[]): void;
}

type Route = (event: CloudEvent, scope: EventScope) => Promise<HandlerOutcome>;

/** A read of a project's endpoints on its way, and the one asked for after it (see `projectEndpoints`). */
interface EndpointRead {
  running: Promise<EndpointView[]>;
  next?: Promise<EndpointView[]>;
}

/**
 * Turns consumed events into messages with frozen payloads and their first deliveries, in the
 * consumer's transaction (so an event is acked only once its deliveries are durable). Events come
 * in batches (messaging's BatchHandler): endpoint lists are read once per project and the
 * messages of the acked events are written in one statement.
 */
export class CreateDeliveriesHandler {
  private readonly recent = new RecentReads<EndpointView | null>(RECENT_ENDPOINT_MS, RECENT_ENDPOINTS_MAX);
  /** Per project, the read of its endpoints on its way (see `projectEndpoints`). */
  private readonly reading = new Map<string, EndpointRead>();
  private readonly writer: MessageWriter;

  constructor(
    private readonly deliveries: DeliveryQueue,
    private readonly endpoints: EndpointReadRepository,
    private readonly itemTags: ItemTagRepository,
    private readonly store: EventStore,
    private readonly darwin: DarwinSource,
    private readonly s: CreateDeliveriesSettings,
    dispatch: DeliveryHandoff,
  ) {
    this.writer = new MessageWriter(deliveries, dispatch);
  }

  /**
   * A batch handler routing each event of `types` with `route`; `prepare` runs per event before
   * the batch's transaction opens (see `prepareStageEntry`).
   */
  batch(types: readonly string[], route: Route, prepare?: (event: CloudEvent) => Promise<unknown>): BatchHandler {
    return {
      types,
      ...(prepare ? { prepare } : {}),
      handle: async (items, ctx) => {
        const lists = new Map<string, Promise<EndpointView[]>>();
        const queued = new Map<string, QueuedMessage[]>();
        const scope = (item: BatchItem): EventScope => ({
          manager: ctx.manager,
          prepared: item.prepared,
          deliveryCount: item.deliveryCount,
          streamSequence: item.streamSequence,
          endpointsOf: (projectId) => {
            let list = lists.get(projectId);
            if (!list) lists.set(projectId, (list = this.endpoints.listForProject(projectId, ctx.manager)));
            return list;
          },
          queue: (msg, deliveries) => queued.set(item.event.id, [...(queued.get(item.event.id) ?? []), { msg, deliveries }]),
        });
        const outcomes = await settleEach(items, (item) => route(item.event, scope(item)));
        await this.writer.write(
          ctx,
          items.flatMap((item, i) => (outcomes[i].kind === 'ack' ? (queued.get(item.event.id) ?? []) : [])),
        );
        return outcomes;
      },
    };
  }

  async stageEntered(event: CloudEvent<'workflow.stage.entered', StageEnteredData>, ctx: EventScope): Promise<HandlerOutcome> {
    const d = event.data;
    // One read serves both the subscribers and the stage's own endpoint (same project).
    const projectEndpoints = await ctx.endpointsOf(d.projectId);
    // The tags come from the ITEMS stream, which may be a few ms behind this one (README).
    const subscribed = await matchEndpoints(projectEndpoints, { type: event.type, data: { ...d } }, (itemId) => this.itemTags.tagsOf(d.projectId, itemId, ctx.manager));
    if (subscribed.length > 0) this.fanOut(ctx, event, subscribed, { body: genericBody(event.type, d.enteredAt, { ...d }), itemId: d.itemId });
    // Most stage entries are not webhook stages.
    if (d.stageType !== 'webhook' || !d.webhook) return Outcome.ack();
    const endpointId = d.webhook.endpointId;
    const ep = projectEndpoints.find((e) => e.id === endpointId) ?? null;
    if (!ep && ctx.deliveryCount <= this.s.unknownEndpointRetries) {
      // The endpoint's registration may still be on its way through another stream.
      return Outcome.retry({ delayMs: 2_000, reason: `endpoint ${d.webhook.endpointId} not known yet` });
    }
    let item: ItemSummary | null = null;
    let darwin: Record<string, unknown> | null = null;
    let frozenError: string | null = null;
    if (ep) {
      // Fetched by prepareStageEntry before the transaction. If the endpoint arrived (or turned
      // include-annotations on or off) between the two, try again: no NATS request inside the transaction.
      const got = ctx.prepared;
      if (!isDarwinFetch(got) || (got.kind === 'ok' && (got.darwin !== null) !== includesAnnotations(d, ep))) {
        // The retry's prepare reads the endpoint afresh, not the recent copy that was wrong.
        this.recent.delete(endpointId);
        return Outcome.retry({ delayMs: 0, reason: 'the endpoint changed while the item was being fetched' });
      }
      switch (got.kind) {
        case 'ok':
          item = got.item;
          darwin = got.darwin;
          break;
        case 'refused':
          frozenError = got.reason;
          break;
        case 'error':
          return Outcome.retry({ reason: got.reason });
      }
    }
    const deliveryId = randomUUID();
    const msg: NewMessage = {
      id: randomUUID(),
      projectId: d.projectId,
      eventType: event.type,
      triggerEventId: event.id,
      variant: 'stage',
      itemId: d.itemId,
      workflowId: d.workflowId,
      stageId: d.stageId,
      visitId: d.visitId,
      body: JSON.stringify(stageEnteredBody(d, item, darwin)),
      ...traceOf(event),
    };
    const delivery: NewDelivery = {
      id: deliveryId,
      endpointId: d.webhook.endpointId,
      schedule: 'stage',
      retryPolicy: resolveRetryPolicy('stage', this.s.retryDefaults, ep?.state.retryPolicy, d.webhook.maxAttempts),
      ...(d.webhook.writeBack ? { writeBack: true } : {}),
    };
    if (!frozenError && ep) {
      ctx.queue(msg, [{ delivery, endpoint: ep }]);
      return Outcome.ack();
    }
    // The stage must still route: the delivery ends as failed at once, with its outcome event.
    if (await this.deliveries.createMessage(ctx.manager, msg, [delivery])) {
      const reason = frozenError ?? `endpoint ${d.webhook.endpointId} not found in project`;
      await this.deliveries.failWithoutAttempt(ctx.manager, deliveryId, reason);
      const { events } = decideDelivery(
        CREATED,
        { type: 'FailWithoutAttempt', reason },
        {
          ref: {
            id: deliveryId,
            endpointId: d.webhook.endpointId,
            projectId: d.projectId,
            triggerEventId: event.id,
            triggerType: event.type,
            workflowId: d.workflowId,
            stageId: d.stageId,
            visitId: d.visitId,
            itemId: d.itemId,
            ...traceOf(event),
          },
          source: this.s.serviceName,
          now: new Date(),
        },
      );
      await this.store.append(`delivery-${deliveryId}`, 'any', events, { manager: ctx.manager, streamType: 'delivery' });
    }
    return Outcome.ack();
  }

  /**
   * Before the batch's transaction: the item a webhook stage entry freezes (its summary, and its
   * Darwin export when the stage includes annotations), from the items service (a NATS request,
   * which must not run inside the transaction) unless the entry carries the summary and the stage
   * needs no more. Items being down throws
   * DependencyUnavailableError: the entry waits in place, spending no delivery.
   */
  async prepareStageEntry(event: CloudEvent): Promise<PreparedDarwin | typeof NothingToDo | null> {
    const d = event.data as StageEnteredData;
    if (d.stageType !== 'webhook' || !d.webhook) return (await this.prepareSubscribable(event)) ?? null;
    // The stage's own setting decides without the endpoint; else the endpoint's, as recently read.
    // Either way the handler checks it again against the endpoint in its transaction.
    let annotations = d.webhook.includeAnnotations;
    if (annotations === undefined) {
      const ep = await this.recentEndpoint(d.webhook.endpointId);
      if (!ep || ep.projectId !== d.projectId) return null;
      annotations = includesAnnotations(d, ep);
    }
    const got = await this.darwin.fetch(d.projectId, d.itemId, d.itemVersion, { annotations, known: d.item });
    // Never sent without the annotations: items being down is waited out in place.
    if (got.kind === 'unavailable') throw new DependencyUnavailableError('the items service', got.reason);
    return got;
  }

  /**
   * Before the transaction, for an event only subscriptions can want (a workflow or item event, an
   * entry into a stage that is no webhook stage): NothingToDo when no deliverable endpoint of its
   * project could take it, so that it is acked without a transaction (most events of a busy
   * project reach no endpoint: each cost a transaction of four statements). Read afresh, not from
   * a cache: an endpoint registered before this read sees the event, as it would in the
   * transaction; the transaction still reads the endpoints again and matches with the tags.
   */
  async prepareSubscribable(event: CloudEvent): Promise<typeof NothingToDo | undefined> {
    const data = (event.data ?? {}) as Record<string, unknown>;
    const projectId = typeof data.projectId === 'string' ? data.projectId : event.projectid;
    if (!projectId) return NothingToDo;
    return mayReach(await this.projectEndpoints(projectId), { type: event.type, data }) ? undefined : NothingToDo;
  }

  /**
   * A project's endpoints for `prepareSubscribable`, read after the event arrived: a read on its
   * way may have begun before, so an event asking meanwhile gets the next read, which starts when
   * that one ends and is shared by every event that asks until then (under load, a burst of one
   * project's events costs a read or two, as in the batch's transaction).
   */
  private projectEndpoints(projectId: string): Promise<EndpointView[]> {
    const r = this.reading.get(projectId);
    if (!r) return this.readEndpoints(projectId);
    r.next ??= r.running.then(
      () => this.readEndpoints(projectId),
      () => this.readEndpoints(projectId),
    );
    return r.next;
  }

  private readEndpoints(projectId: string): Promise<EndpointView[]> {
    const running = this.endpoints.listForProject(projectId);
    const entry: EndpointRead = { running };
    this.reading.set(projectId, entry);
    const done = () => {
      if (this.reading.get(projectId) === entry && !entry.next) this.reading.delete(projectId);
    };
    running.then(done, done);
    return running;
  }

  /**
   * The endpoint as read at most RECENT_ENDPOINT_MS ago: a stage entry's prepare needs only whether
   * it includes annotations, which the handler checks again in its transaction (a stale answer
   * costs one immediate retry), so a burst of entries for one endpoint reads it once, not once each.
   */
  private recentEndpoint(endpointId: string): Promise<EndpointView | null> {
    return this.recent.get(endpointId, () => this.endpoints.get(endpointId));
  }

  /** `item.*` and other subscribable events: one message, a delivery per matching endpoint. */
  async subscribable(event: CloudEvent, ctx: EventScope, adjustTags: (tags: readonly string[]) => readonly string[] = (t) => t): Promise<HandlerOutcome> {
    const data = (event.data ?? {}) as Record<string, unknown>;
    const projectId = typeof data.projectId === 'string' ? data.projectId : event.projectid;
    if (!projectId) return Outcome.ack();
    const subscribed = await matchEndpoints(await ctx.endpointsOf(projectId), { type: event.type, data }, async (itemId) =>
      adjustTags(await this.itemTags.tagsOf(projectId, itemId, ctx.manager)),
    );
    if (subscribed.length === 0) return Outcome.ack();
    const body: WebhookBody =
      // Validated against the catalog on the way in (parseEvent): the type names the data's shape.
      isEventOf(event, ['item.status.changed']) ? statusChangedBody(event.data) : genericBody(event.type, event.time, data);
    this.fanOut(ctx, event, subscribed, { body, itemId: typeof data.itemId === 'string' ? data.itemId : undefined });
    return Outcome.ack();
  }

  /**
   * `webhook.event.published`: an event of a project's custom type (issue 18), accepted by the
   * registry. It is matched and delivered as its own type with its payload as `data`, exactly like
   * a built-in event (filters, formats, retries, breakers, logs); the trigger id is its event id.
   * A deprecated type still reaches the endpoints that subscribed before the deprecation.
   */
  async published(event: CloudEvent<'webhook.event.published', EventPublishedData>, ctx: EventScope): Promise<HandlerOutcome> {
    const d = event.data;
    const subscribed = await matchEndpoints(await ctx.endpointsOf(d.projectId), { type: d.eventType, data: d.payload }, (itemId) =>
      this.itemTags.tagsOf(d.projectId, itemId, ctx.manager),
    );
    if (subscribed.length === 0) return Outcome.ack();
    const itemId = typeof d.payload.itemId === 'string' ? d.payload.itemId : undefined;
    this.fanOut(ctx, event, subscribed, { body: genericBody(d.eventType, d.occurredAt, d.payload), eventType: d.eventType, itemId });
    return Outcome.ack();
  }

  private fanOut(ctx: EventScope, event: CloudEvent, eps: EndpointView[], p: { body: WebhookBody; itemId?: string; eventType?: string }): void {
    ctx.queue(
      {
        id: randomUUID(),
        projectId: eps[0].projectId,
        eventType: p.eventType ?? event.type,
        triggerEventId: event.id,
        variant: 'event',
        itemId: p.itemId,
        body: JSON.stringify(p.body),
        ...traceOf(event),
      },
      eps.map((e) => ({
        delivery: {
          id: randomUUID(),
          endpointId: e.id,
          schedule: 'standard',
          retryPolicy: resolveRetryPolicy('standard', this.s.retryDefaults, e.state.retryPolicy),
        },
        endpoint: e,
      })),
    );
  }
}

/**
 * The trace a message continues: the consumer span handling `event` when it is that event's own
 * (a batch of one is a child of its event), else the event's own `traceparent` — a batch of many
 * runs in one span of its own trace, and the request's trace must not be lost to it.
 */
function traceOf(event: CloudEvent): { trace?: TraceContext } {
  const own = traceContextOf(event);
  const active = activeTraceContext();
  const trace = active && (!own || traceIdOf(own) === traceIdOf(active)) ? active : own;
  return trace ? { trace } : {};
}

function traceIdOf(tc: TraceContext): string {
  return tc.traceparent.slice(3, 35);
}

function includesAnnotations(d: StageEnteredData, ep: EndpointView): boolean {
  return d.webhook?.includeAnnotations ?? ep.state.includeAnnotations ?? false;
}

/** What prepareStageEntry hands the handler: items answered (an outage never gets this far). */
type PreparedDarwin = Exclude<DarwinFetch, { kind: 'unavailable' }>;

function isDarwinFetch(v: unknown): v is PreparedDarwin {
  return typeof v === 'object' && v !== null && 'kind' in v;
}
