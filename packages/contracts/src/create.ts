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
