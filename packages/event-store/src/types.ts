import type { EventMetadata } from '@stagehook/contracts';

/** An event as a decider sees it: its type and data, nothing of storage. */
export interface DomainEvent<T extends string = string, D = unknown> {
  type: T;
  data: D;
}

export interface StoredEvent<T extends string = string, D = Record<string, unknown>> {
  globalPosition: number;
  streamId: string;
  streamVersion: number;
  id: string;
  type: T;
  /** The schema version of `data` after upcasting: always the current one. */
  schemaVersion: number;
  data: D;
  metadata: EventMetadata;
  createdAt: Date;
  transactionId: string;
}

/**
 * A stored event of the union `E` (`DomainEvent` shapes): a switch on `type` narrows `data`. What
 * typed reads (`readStream` with `types`) and inline projections receive.
 */
export type StoredEventOf<E extends DomainEvent> = StoredEvent & E;

/**
 * Whether `event` is one of `types`. Checks the type only: the data of a service's own stream is
 * what its decider wrote, upcast on read to the current schema, so the type names its shape.
 */
export function isStoredEventOf<E extends DomainEvent>(event: StoredEvent, types: readonly E['type'][]): event is StoredEventOf<E> {
  return types.some((t) => t === event.type);
}

/**
 * A number is the exact stream version the caller decided on (0: the stream must not exist yet);
 * `any` appends whatever the stream holds.
 */
export type ExpectedVersion = number | 'any';

export interface EventToAppend {
  id: string;
  type: string;
  schemaVersion: number;
  data: unknown;
  metadata: EventMetadata;
}

export class ConcurrencyConflictError extends Error {
  readonly code = 'CONCURRENCY_CONFLICT';

  constructor(
    readonly streamId: string,
    readonly expected: ExpectedVersion,
    readonly actual: number,
    /** `version`: someone appended first. `transaction_order`: see the migration's comment. */
    readonly reason: 'version' | 'transaction_order' = 'version',
  ) {
    super(
      reason === 'version'
        ? `stream ${streamId} is at version ${actual}, expected ${expected}`
        : `stream ${streamId} was appended by a newer transaction; retry in a new transaction`,
    );
    this.name = 'ConcurrencyConflictError';
  }
}

export class EventTooLargeError extends Error {
  readonly code = 'EVENT_TOO_LARGE';

  constructor(
    readonly eventType: string,
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(`event ${eventType} is ${bytes} bytes; the bus carries at most ${limit}`);
    this.name = 'EventTooLargeError';
  }
}

export class DuplicateEventError extends Error {
  readonly code = 'DUPLICATE_EVENT';

  constructor(readonly eventId: string) {
    super(`event ${eventId} is already stored`);
    this.name = 'DuplicateEventError';
  }
}

/** A stream holds an event of a type its reader does not know: newer code wrote it, or another aggregate's. */
export class UnexpectedEventTypeError extends Error {
  readonly code = 'UNEXPECTED_EVENT_TYPE';

  constructor(
    readonly streamId: string,
    readonly streamVersion: number,
    readonly eventType: string,
    readonly expected: readonly string[],
  ) {
    super(`stream ${streamId} holds a ${eventType} event at version ${streamVersion}; its reader knows only ${expected.join(', ')}`);
    this.name = 'UnexpectedEventTypeError';
  }
}

/** `events` as `StoredEventOf<E>`, or `UnexpectedEventTypeError` for the first of another type. */
export function narrowEvents<E extends DomainEvent>(events: readonly StoredEvent[], types: readonly E['type'][]): StoredEventOf<E>[] {
  return events.map((e) => {
    if (!isStoredEventOf<E>(e, types)) throw new UnexpectedEventTypeError(e.streamId, e.streamVersion, e.type, types);
    return e;
  });
}
