import { isDeepStrictEqual } from 'node:util';

/**
 * Whether two values are the same JSON: equal whatever the order of their keys, and without keys
 * whose value is undefined, which JSON drops. For deciders that decide nothing when a command
 * repeats what their state holds: a state folded from stored events has jsonb's key order (by
 * length, then bytewise), a command the order it was written in.
 */
export function sameJson(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(JSON.parse(JSON.stringify(a)), JSON.parse(JSON.stringify(b)));
}
