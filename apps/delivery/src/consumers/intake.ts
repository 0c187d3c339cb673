import { randomUUID } from 'node:crypto';
import type { NatsConnection } from '@nats-io/nats-core';
import {
  ItemsRpc,
  newEvent,
  type BusNamespace,
  type CloudEvent,
  type ItemSummary,
  type StageEnteredData,
} from '@stagehook/contracts';
import type { EventStore } from '@stagehook/event-store';
import { Outcome, RpcUnavailableError, rpcRequest, type HandlerContext, type HandlerOutcome } from '@stagehook/messaging';
import { genericBody, stageEnteredBody, statusChangedBody, type WebhookBody } from '../domain/payload.js';
import type { DeliveryRepository, NewDelivery } from '../persistence/delivery.repository.js';
import type { EndpointRepository, EndpointView } from '../persistence/endpoint.repository.js';
import type { ItemTagRepository } from '../persistence/item-tag.repository.js';
import { tagChange, tagsAfter, type ItemTagEvent } from './item-tags.js';
import { matchEndpoints } from './matching.js';

export interface IntakeSettings {
  stageMaxAttempts: number;
  standardMaxAttempts: number;
  itemsRpcTimeoutMs: number;
  serviceName: string;
  /** Deliveries of a stage entry whose endpoint is unknown are retried this many times first. */
  unknownEndpointRetries: number;
}

/**
 * Turns consumed events into messages with frozen payloads and their first deliveries, in the
 * consumer's transaction (so the event is acked only once its deliveries are durable).
 */
export class Intake {
  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly endpoints: EndpointRepository,
    private readonly itemTags: ItemTagRepository,
    private readonly store: EventStore,
    private readonly nats: NatsConnection,
    private readonly namespace: BusNamespace,
    private readonly s: IntakeSettings,
    private readonly wake: () => void,
  ) {}

  async stageEntered(event: CloudEvent<'workflow.stage.entered', StageEnteredData>, ctx: HandlerContext): Promise<HandlerOutcome> {
    const d = event.data;
    // One read serves both the subscribers and the stage's own endpoint (same project).
    const projectEndpoints = await this.endpoints.listForProject(d.projectId, ctx.manager);
    // The tags come from the ITEMS stream, which may be a few ms behind this one (README).
    const subscribed = await matchEndpoints(projectEndpoints, { type: event.type, data: d as unknown as Record<string, unknown> }, (itemId) =>
      this.itemTags.tagsOf(d.projectId, itemId, ctx.manager),
    );
    if (subscribed.length > 0) await this.fanOut(ctx, event, subscribed, { body: genericBody(event.type, d.enteredAt, { ...d }), itemId: d.itemId });
    // Most stage entries are not webhook stages.
    if (d.stageType !== 'webhook' || !d.webhook) return this.done(subscribed.length > 0);
    const endpointId = d.webhook.endpointId;
    const ep = projectEndpoints.find((e) => e.id === endpointId) ?? null;
    if (!ep && ctx.deliveryCount <= this.s.unknownEndpointRetries) {
      // The endpoint's registration may still be on its way through another stream.
      return Outcome.retry({ delayMs: 2_000, reason: `endpoint ${d.webhook.endpointId} not known yet` });
    }
    const include = d.webhook.includeAnnotations ?? ep?.state.includeAnnotations ?? false;
    let item: ItemSummary | null = null;
    let darwin: Record<string, unknown> | null = null;
    let frozenError: string | null = null;
    if (include && ep) {
      try {
        const reply = await rpcRequest(
          this.nats,
          this.namespace,
          ItemsRpc.darwinExport,
          { projectId: d.projectId, itemId: d.itemId, version: d.itemVersion },
          { timeoutMs: this.s.itemsRpcTimeoutMs },
        );
        if (reply.ok) {
          item = reply.item;
          darwin = reply.darwin;
        } else if (reply.code === 'not_found' || reply.code === 'version_not_found' || reply.code === 'invalid_request') {
          frozenError = `annotations unavailable: ${reply.code}`;
        } else {
          return Outcome.retry({ reason: `items answered ${reply.code}` });
        }
      } catch (err) {
        // Never send without the annotations: the event stays in the stream until items answers.
        if (err instanceof RpcUnavailableError) return Outcome.retry({ reason: 'items service unavailable for the Darwin export' });
        throw err;
      }
    }
    const messageId = randomUUID();
    const deliveryId = randomUUID();
    const created = await this.deliveries.createMessage(
      ctx.manager,
      {
        id: messageId,
        projectId: d.projectId,
        eventType: event.type,
        triggerEventId: event.id,
        variant: 'stage',
        itemId: d.itemId,
        workflowId: d.workflowId,
        stageId: d.stageId,
        visitId: d.visitId,
        body: JSON.stringify(stageEnteredBody(d, item, darwin)),
      },
      [{ id: deliveryId, endpointId: d.webhook.endpointId, schedule: 'stage', maxAttempts: d.webhook.maxAttempts ?? ep?.state.retryPolicy?.maxAttempts ?? this.s.stageMaxAttempts }],
    );
    if (created && (frozenError || !ep)) {
      // The stage must still route: end the delivery as failed, with its outcome event.
      const reason = frozenError ?? `endpoint ${d.webhook.endpointId} not found in project`;
      await this.deliveries.failWithoutAttempt(ctx.manager, deliveryId, reason);
      await this.store.append(
        `delivery-${deliveryId}`,
        'any',
        [
          newEvent(
            'delivery.webhook.failed',
            {
              deliveryId,
              endpointId: d.webhook.endpointId,
              projectId: d.projectId,
              triggerEventId: event.id,
              triggerType: event.type,
              workflowId: d.workflowId,
              stageId: d.stageId,
              visitId: d.visitId,
              itemId: d.itemId,
              attempts: 1,
              lastStatusCode: null,
              lastError: reason,
              at: new Date().toISOString(),
            },
            { source: this.s.serviceName, projectId: d.projectId, causationId: event.id },
          ),
        ],
        { manager: ctx.manager, streamType: 'delivery' },
      );
    }
    return this.done(created);
  }

  /** `item.*` and other subscribable events: one message, a delivery per matching endpoint. */
  async subscribable(event: CloudEvent, ctx: HandlerContext, adjustTags: (tags: readonly string[]) => readonly string[] = (t) => t): Promise<HandlerOutcome> {
    const data = (event.data ?? {}) as Record<string, unknown>;
    const projectId = typeof data.projectId === 'string' ? data.projectId : event.projectid;
    if (!projectId) return Outcome.ack();
    const endpoints = await this.endpoints.listForProject(projectId, ctx.manager);
    const subscribed = await matchEndpoints(endpoints, { type: event.type, data }, async (itemId) =>
      adjustTags(await this.itemTags.tagsOf(projectId, itemId, ctx.manager)),
    );
    if (subscribed.length === 0) return Outcome.ack();
    const body: WebhookBody =
      event.type === 'item.status.changed'
        ? statusChangedBody(data as unknown as Parameters<typeof statusChangedBody>[0])
        : genericBody(event.type, event.time, data);
    await this.fanOut(ctx, event, subscribed, { body, itemId: typeof data.itemId === 'string' ? data.itemId : undefined });
    return this.done(true);
  }

  /**
   * `item.tag.added|removed`: the tag view first, in the message's transaction (exactly once with
   * its idempotency record), then the event's own subscribers, whose `tags` filter sees the item's
   * tags after the change: "tag added: urgent" reaches an endpoint filtered on `urgent`, "tag
   * removed: urgent" does not.
   */
  async itemTagChanged(event: ItemTagEvent, ctx: HandlerContext): Promise<HandlerOutcome> {
    const change = tagChange(event);
    if (!change) return Outcome.deadLetter(`${event.type} without a tag name`);
    await this.itemTags.setTag(change, ctx.streamSequence, ctx.manager);
    return this.subscribable(event, ctx, (tags) => tagsAfter(change, tags));
  }

  private done(created: boolean): HandlerOutcome {
    // Deliveries become visible at commit; the nudge makes the next claim come sooner.
    if (created) setImmediate(this.wake);
    return Outcome.ack();
  }

  private async fanOut(ctx: HandlerContext, event: CloudEvent, eps: EndpointView[], p: { body: WebhookBody; itemId?: string }): Promise<void> {
    const deliveries: NewDelivery[] = eps.map((e) => ({
      id: randomUUID(),
      endpointId: e.id,
      schedule: 'standard',
      maxAttempts: e.state.retryPolicy?.maxAttempts ?? this.s.standardMaxAttempts,
    }));
    await this.deliveries.createMessage(
      ctx.manager,
      {
        id: randomUUID(),
        projectId: eps[0].projectId,
        eventType: event.type,
        triggerEventId: event.id,
        variant: 'event',
        itemId: p.itemId,
        body: JSON.stringify(p.body),
      },
      deliveries,
    );
  }
}
