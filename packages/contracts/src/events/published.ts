import { ArrayMaxSize, IsArray, IsIn, IsInt, IsISO8601, IsObject, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { EVENT_TYPE_PATTERN } from '../envelope.js';
import { IsId, IsShortText } from './common.js';
import type { EventSpec } from '../spec.js';

/**
 * Event types that internal services publish (issue 18): the registry's per-project catalogue of
 * custom types with a JSON Schema (draft 2020-12) per version, and the events accepted for them.
 */

/** Domains Stagehook's own services publish in: a custom type may not start with one. */
export const RESERVED_TYPE_PREFIXES = ['item.', 'workflow.', 'webhook.', 'delivery.', 'deadletter.', 'published.'] as const;

export function isReservedEventType(type: string): boolean {
  return RESERVED_TYPE_PREFIXES.some((p) => type.startsWith(p));
}

export class EventTypeVersionData {
  @IsInt() @Min(1) @Max(10_000) version!: number;
  /** A JSON Schema (draft 2020-12) for the event's `data`. */
  @IsObject() schema!: Record<string, unknown>;
  @IsOptional() @IsArray() @ArrayMaxSize(10) @IsObject({ each: true }) examples?: Record<string, unknown>[];
  @IsISO8601({ strict: true }) at!: string;
  /** `user:<id>`, `service:<id>` or `project:<id>`: who registered it. */
  @IsShortText(300) by!: string;
}

export class EventTypeRegisteredData extends EventTypeVersionData {
  @IsId() projectId!: string;
  @IsString() @Matches(EVENT_TYPE_PATTERN) @MaxLength(200) name!: string;
  @IsShortText(2000) description!: string;
}

export class EventTypeVersionAddedData extends EventTypeVersionData {
  @IsId() projectId!: string;
  @IsString() @Matches(EVENT_TYPE_PATTERN) @MaxLength(200) name!: string;
  @IsOptional() @IsShortText(2000) description?: string;
}

export class EventTypeDeprecatedData {
  @IsId() projectId!: string;
  @IsString() @Matches(EVENT_TYPE_PATTERN) @MaxLength(200) name!: string;
  @IsShortText(1000) reason!: string;
  @IsISO8601({ strict: true }) at!: string;
  @IsShortText(300) by!: string;
}

/**
 * An event of a registered custom type, accepted by the registry (validated against its schema
 * version, durable, deduplicated by id and idempotency key). Delivery fans it out as `eventType`
 * with `payload` as the webhook's `data`; the event id is the trigger id receivers see.
 */
export class EventPublishedData {
  @IsId() projectId!: string;
  @IsString() @Matches(EVENT_TYPE_PATTERN) @MaxLength(200) eventType!: string;
  @IsInt() @Min(1) @Max(10_000) schemaVersion!: number;
  @IsObject() payload!: Record<string, unknown>;
  /** When it happened, as the publisher says (else when it was accepted). */
  @IsISO8601({ strict: true }) occurredAt!: string;
  @IsIn(['http', 'bus']) via!: 'http' | 'bus';
  @IsShortText(300) publishedBy!: string;
}

/** A custom event type's stream in the registry's catalogue. WIRE NAMES: subjects on the WEBHOOKS stream. */
export const EventTypeEvents = {
  'webhook.event_type.registered': { schemaVersion: 1, dataClass: EventTypeRegisteredData, stream: 'WEBHOOKS' },
  'webhook.event_type.version_added': { schemaVersion: 1, dataClass: EventTypeVersionAddedData, stream: 'WEBHOOKS' },
  'webhook.event_type.deprecated': { schemaVersion: 1, dataClass: EventTypeDeprecatedData, stream: 'WEBHOOKS' },
} as const satisfies Record<string, EventSpec>;

/** WIRE NAMES: subjects on the WEBHOOKS stream (the registry publishes them). */
export const PublishedEvents = {
  ...EventTypeEvents,
  'webhook.event.published': { schemaVersion: 1, dataClass: EventPublishedData, stream: 'WEBHOOKS' },
} as const satisfies Record<string, EventSpec>;
