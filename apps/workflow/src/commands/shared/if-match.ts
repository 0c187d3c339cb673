import { ValidationFailedError } from '@stagehook/platform';

/**
 * A version from an `If-Match` header: `7`, `"7"` or `W/"7"`. Absent → undefined; anything
 * else is a 400 naming the header.
 */
export function parseIfMatch(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const m = /^(?:W\/)?"?(\d{1,9})"?$/.exec(value.trim());
  if (!m) throw new ValidationFailedError([{ path: 'If-Match', messages: ['If-Match must be a version number, like "7"'] }]);
  return Number(m[1]);
}
