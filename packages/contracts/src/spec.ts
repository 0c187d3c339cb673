import type { StreamName } from './streams.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyClass = new (...args: any[]) => object;

/** Turns data written at `fromVersion` into the shape of `fromVersion + 1`. */
export type UpcastFn = (data: Record<string, unknown>) => Record<string, unknown>;

export interface EventSpec {
  /** Current schema version of `data`. Older versions are upcast on read, never rewritten. */
  readonly schemaVersion: number;
  readonly dataClass: AnyClass;
  readonly stream: StreamName;
  /** Keyed by the version they upcast from. */
  readonly upcasters?: Readonly<Record<number, UpcastFn>>;
}
