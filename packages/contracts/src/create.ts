import { randomUUID } from 'node:crypto';
import { EventCatalog, type EventData, type EventType } from './catalog.js';
import type { CloudEvent } from './envelope.js';
import { traceContextOf } from './trace-context.js';

/** An event a service is about to append: typed by the catalog so the shape cannot be wrong. */
export interface NewEvent<T extends string = string, D = unknown> {
  id: string;
  type: T;
  schemaVersion: number;
  data: D;
  metadata: EventMetadata;
}

export interface EventMetadata {
  source: string;
  projectId: string;
  correlationId?: string;
  causationId?: string;
  /** W3C trace context of the operation that appended the event; the relay publishes it. */
  traceparent?: string;
  tracestate?: string;
  [key: string]: unknown;
}

export type CatalogEvent<T extends EventType = EventType> = NewEvent<T, EventData<T>>;

/** Builds a catalog event; the schema version comes from the catalog. */
export function newEvent<T extends EventType>(type: T, data: EventData<T>, metadata: EventMetadata, id: string = randomUUID()): CatalogEvent<T> {
  return { id, type, schemaVersion: EventCatalog[type].schemaVersion, data, metadata };
}

/** The CloudEvents envelope of a stored event, as the relay publishes it. */
export function toCloudEvent(e: {
  id: string;
  type: string;
  schemaVersion: number;
  data: unknown;
  metadata: EventMetadata;
  streamId: string;
  /** The event's version in its stream; stamped as the `streamversion` extension attribute. */
  streamVersion?: number;
  createdAt: Date;
}): CloudEvent {
  const { source, projectId, correlationId, causationId } = e.metadata;
  return {
    specversion: '1.0',
    id: e.id,
    source,
    type: e.type,
    time: e.createdAt.toISOString(),
    datacontenttype: 'application/json',
    dataschemaversion: e.schemaVersion,
    subject: e.streamId,
    ...(e.streamVersion !== undefined ? { streamversion: e.streamVersion } : {}),
    projectid: projectId,
    ...(correlationId ? { correlationid: correlationId } : {}),
    ...(causationId ? { causationid: causationId } : {}),
    // Metadata written before tracing existed, or by hand, may hold anything: only a valid context travels.
    ...traceContextOf(e.metadata),
    data: e.data,
  };
}

/**
 * The JSON of `toCloudEvent(e)` with `data` given as JSON text, as the store holds it: the relay
 * publishes each event's data as read, without parsing it into objects to serialise them again.
 * `dataJson` must be one JSON value (PostgreSQL's `jsonb::text` is).
 */
export function cloudEventJson(e: Omit<Parameters<typeof toCloudEvent>[0], 'data'>, dataJson: string): string {
  const { data: _data, ...head } = toCloudEvent({ ...e, data: null });
  return `${JSON.stringify(head).slice(0, -1)},"data":${dataJson}}`;
}
