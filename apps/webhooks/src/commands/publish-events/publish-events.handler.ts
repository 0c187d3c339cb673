import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { isReservedEventType, newEvent } from '@stagehook/contracts';
import { EventStore } from '@stagehook/event-store';
import { DomainError } from '@stagehook/platform';
import { DataSource, type EntityManager } from 'typeorm';
import { SchemaValidationError, WebhooksErrorCode, type ProblemPath } from '../../domain/errors.js';
import { payloadProblems } from '../../domain/json-schemas.js';
import { EventTypeQueryRepository } from '../../persistence/event-type.query-repository.js';
import { claimKey, findKey, requestHash } from '../../persistence/publish-keys.js';
import type { PublishedEventView } from './publish-events.dto.js';

export interface EventToPublish {
  type: string;
  version?: number;
  data: Record<string, unknown>;
  occurredAt?: string;
}

export interface PublishOptions {
  projectId: string;
  /** `user:<id>`, `service:<id>` or `project:<id>`. */
  by: string;
  via: 'http' | 'bus';
  idempotencyKey?: string;
  requestId?: string;
  /** Event ids chosen by the publisher (the bus: the CloudEvent id); new ones otherwise. */
  ids?: string[];
  /** Field path of each event in the request, for error messages (`events[3]`, or '' for one). */
  pathOf?: (i: number) => string;
}

/**
 * Largest `data` of one event, as JSON. Well below the bus's message size (1 MiB) and the event
 * store's limit, so an accepted event can always be relayed and delivered.
 */
export const MAX_PAYLOAD_BYTES = 256 * 1024;

/** Why an event cannot be accepted, with every failing path; the same for HTTP (422) and the bus (dead letter). */
export class PublishRefused extends DomainError {}

/**
 * Accepts events of registered custom types: each is checked against its type's schema version,
 * then all are appended as `webhook.event.published` in one transaction (with the idempotency key
 * when there is one) before anyone is told they were accepted; the outbox relay puts them on the
 * bus, where delivery fans them out like built-in events.
 */
@Injectable()
export class PublishEventsHandler {
  constructor(
    private readonly types: EventTypeQueryRepository,
    private readonly store: EventStore,
    private readonly dataSource: DataSource,
  ) {}

  /** The schema version each event follows, or a refusal naming every failing event and path. */
  async check(projectId: string, events: readonly EventToPublish[], pathOf: (i: number) => string = () => '', manager?: EntityManager): Promise<number[]> {
    const cache = new Map<string, Awaited<ReturnType<EventTypeQueryRepository['find']>>>();
    const versions: number[] = [];
    const problems: ProblemPath[] = [];
    let unregistered: ProblemPath | undefined;
    let unknownVersion: ProblemPath | undefined;
    for (const [i, e] of events.entries()) {
      const at = (field: string) => (pathOf(i) ? `${pathOf(i)}.${field}` : field);
      if (!cache.has(e.type)) cache.set(e.type, await this.types.find(projectId, e.type, manager));
      const t = cache.get(e.type);
      if (!t) {
        unregistered ??= {
          path: at('type'),
          message: isReservedEventType(e.type) ? `${e.type} is a Stagehook event and cannot be published` : `${e.type} is not registered in this project's event catalogue`,
        };
        versions.push(0);
        continue;
      }
      const version = e.version ?? t.versions.length;
      const v = t.versions.find((x) => x.version === version);
      if (!v) {
        unknownVersion ??= { path: at('version'), message: `${e.type} has versions 1 to ${t.versions.length}` };
        versions.push(0);
        continue;
      }
      const bytes = Buffer.byteLength(JSON.stringify(e.data));
      if (bytes > MAX_PAYLOAD_BYTES) problems.push({ path: at('data'), message: `is ${bytes} bytes of JSON; at most ${MAX_PAYLOAD_BYTES} are accepted` });
      else problems.push(...payloadProblems(v.schema, e.data, at('data')));
      versions.push(version);
    }
    if (unregistered) throw new PublishRefused(WebhooksErrorCode.UNREGISTERED_EVENT_TYPE, `${unregistered.path}: ${unregistered.message}`, { field: unregistered.path });
    if (unknownVersion) throw new PublishRefused(WebhooksErrorCode.UNKNOWN_SCHEMA_VERSION, `${unknownVersion.path}: ${unknownVersion.message}`, { field: unknownVersion.path });
    if (problems.length > 0) throw new SchemaValidationError(problems);
    return versions;
  }

  /** Durable before it returns. With an idempotency key, a repeat answers the first result and appends nothing. */
  async publish(events: readonly EventToPublish[], o: PublishOptions, manager?: EntityManager): Promise<PublishedEventView[]> {
    // A repeat answers what the first got, even if the catalogue changed since (a new latest version).
    if (o.idempotencyKey !== undefined) {
      const earlier = await findKey(manager ?? this.dataSource.manager, o.projectId, o.idempotencyKey);
      if (earlier) return this.repeat(earlier, requestHash(events));
    }
    const versions = await this.check(o.projectId, events, o.pathOf, manager);
    const acceptedAt = new Date().toISOString();
    const views: PublishedEventView[] = events.map((e, i) => ({ id: o.ids?.[i] ?? randomUUID(), type: e.type, version: versions[i], acceptedAt }));
    const run = async (tx: EntityManager): Promise<PublishedEventView[]> => {
      if (o.idempotencyKey !== undefined) {
        const claim = await claimKey(tx, o.projectId, o.idempotencyKey, requestHash(events), views);
        if (claim.kind === 'repeat') return claim.response as PublishedEventView[];
        if (claim.kind === 'mismatch') throw keyReused();
      }
      await this.store.appendToStreams(
        events.map((e, i) => ({
          streamId: `published-${views[i].id}`,
          event: newEvent(
            'webhook.event.published',
            {
              projectId: o.projectId,
              eventType: e.type,
              schemaVersion: versions[i],
              payload: e.data,
              occurredAt: e.occurredAt ?? acceptedAt,
              via: o.via,
              publishedBy: o.by,
            },
            { source: 'webhooks', projectId: o.projectId, ...(o.requestId ? { correlationId: o.requestId } : {}) },
            views[i].id,
          ),
        })),
        { manager: tx, streamType: 'published' },
      );
      return views;
    };
    return manager ? run(manager) : this.dataSource.transaction(run);
  }

  private repeat(earlier: { request_hash: string; response: unknown }, hash: string): PublishedEventView[] {
    if (earlier.request_hash !== hash) throw keyReused();
    return earlier.response as PublishedEventView[];
  }

  /** True when an event with this id was already accepted (a bus republish after its dedupe window). */
  async alreadyAccepted(eventId: string, manager: EntityManager): Promise<boolean> {
    const rows = await manager.query<unknown[]>(`SELECT 1 FROM es_events WHERE event_id = $1`, [eventId]);
    return rows.length > 0;
  }
}

function keyReused(): DomainError {
  return new DomainError(WebhooksErrorCode.IDEMPOTENCY_KEY_REUSED, 'Idempotency-Key was already used within 24 h for a different request', { field: 'Idempotency-Key' });
}
