import {
  Equals,
  equals,
  IsDefined,
  IsIn,
  isIn,
  IsInt,
  isInt,
  IsISO8601,
  isISO8601,
  IsObject,
  isObject,
  IsOptional,
  IsString,
  isString,
  IsUUID,
  isUUID,
  Matches,
  matches,
  Max,
  max,
  MaxLength,
  maxLength,
  Min,
  min,
} from 'class-validator';

/**
 * CloudEvents 1.0 envelope every Stagehook event travels in, on the bus and in the event store
 * metadata. `type` is the NATS subject. `subject` (a CloudEvents attribute) carries the id of the
 * aggregate stream the event belongs to, which consumers use to keep per-aggregate order.
 */
export interface CloudEvent<TType extends string = string, TData = unknown> {
  specversion: '1.0';
  id: string;
  source: string;
  type: TType;
  time: string;
  datacontenttype: 'application/json';
  dataschemaversion: number;
  subject?: string;
  /**
   * Extension attribute: the event's version within its aggregate stream (`subject`), 1-based
   * and gap-free per stream. Views order an aggregate's events by it, never by the JetStream
   * sequence: a retried publish can store an older event after a newer one. Absent on events
   * published before the relay stamped it.
   */
  streamversion?: number;
  projectid: string;
  correlationid?: string;
  causationid?: string;
  /**
   * CloudEvents distributed-tracing extension: the W3C trace context of the operation that
   * produced the event, so a consumer's span continues the producer's trace. Deliberately not
   * validated by the envelope class: a malformed value is dropped on parse (`withValidTraceContext`),
   * never a reason to dead-letter.
   */
  traceparent?: string;
  tracestate?: string;
  data: TData;
}

const MAX_INT32 = 2_147_483_647;

/** Event type names: lower-case dot-separated words, as NATS subject tokens. */
export const EVENT_TYPE_PATTERN = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;

export class CloudEventEnvelope implements CloudEvent {
  @Equals('1.0')
  specversion!: '1.0';

  @IsUUID('all')
  id!: string;

  @IsString()
  @MaxLength(200)
  source!: string;

  @IsString()
  @Matches(EVENT_TYPE_PATTERN)
  @MaxLength(200)
  type!: string;

  @IsISO8601({ strict: true })
  time!: string;

  @IsIn(['application/json'])
  datacontenttype!: 'application/json';

  @IsInt()
  @Min(1)
  dataschemaversion!: number;

  @IsOptional()
  @IsString()
  @MaxLength(400)
  subject?: string;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_INT32)
  streamversion?: number;

  @IsString()
  @MaxLength(200)
  projectid!: string;

  @IsOptional()
  @IsString()
  @MaxLength(200)
  correlationid?: string;

  @IsOptional()
  @IsString()
  @MaxLength(200)
  causationid?: string;

  @IsDefined()
  @IsObject()
  data!: Record<string, unknown>;
}

/** What `@IsOptional()` lets through without looking further. */
const absent = (v: unknown) => v === undefined || v === null;
const shortString = (v: unknown, length: number) => isString(v) && maxLength(v, length);

/**
 * Whether `json` passes every rule of `CloudEventEnvelope`, said with class-validator's own
 * check functions but without its executor, nor class-transformer's deep copy of `data` that
 * `plainToInstance` makes: every message on the bus is checked here first, and this was a
 * sixth of a delivery process's CPU. It must refuse whatever the class refuses (a test feeds
 * both the same broken envelopes); a refused envelope is then described by the class, so the
 * dead letter's reason is the same as before.
 */
export function isWellFormedEnvelope(json: Readonly<Record<string, unknown>>): boolean {
  const e = json;
  return (
    equals(e.specversion, '1.0') &&
    isUUID(e.id, 'all') &&
    shortString(e.source, 200) &&
    shortString(e.type, 200) &&
    matches(e.type as string, EVENT_TYPE_PATTERN) &&
    isISO8601(e.time, { strict: true }) &&
    isIn(e.datacontenttype, ['application/json']) &&
    isInt(e.dataschemaversion) &&
    min(e.dataschemaversion, 1) &&
    (absent(e.subject) || shortString(e.subject, 400)) &&
    (absent(e.streamversion) || (isInt(e.streamversion) && min(e.streamversion, 1) && max(e.streamversion, MAX_INT32))) &&
    shortString(e.projectid, 200) &&
    (absent(e.correlationid) || shortString(e.correlationid, 200)) &&
    (absent(e.causationid) || shortString(e.causationid, 200)) &&
    e.data !== undefined &&
    isObject(e.data)
  );
}
