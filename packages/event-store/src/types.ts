import type { EventMetadata } from '@stagehook/contracts';

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
