import { randomBytes } from 'node:crypto';

/**
 * A name unique to this run and call: JetStream streams and durables outlive test runs. It carries
 * when it was made (`_t<Date.now() in base 36>_<8 hex>`), which `nameStamp` reads back.
 */
export function uniqueName(prefix: string): string {
  return `${prefix}_t${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`.replace(/[^A-Za-z0-9_]/g, '_');
}

/** `uniqueName`'s stamp, followed by `_` (a stream's key, a bucket's name) or the end of the name. */
const STAMP = /_t([0-9a-z]{8})_[0-9a-f]{8}(?=_|$)/g;

/**
 * When a name made by `uniqueName` was made (ms since the epoch), read from the name itself, or
 * undefined for any other name. Stale test resources are found this way: a run that was killed
 * never removed its own.
 */
export function nameStamp(name: string): number | undefined {
  // The last stamp that is a plausible time: a caller's prefix may hold something stamp-like.
  let found: number | undefined;
  for (const m of name.matchAll(STAMP)) {
    const t = parseInt(m[1], 36);
    if (t >= Date.UTC(2020, 0, 1) && t <= Date.now() + 24 * 3600_000) found = t;
  }
  return found;
}

/** Whether `name` was made by `uniqueName` before `before` (ms since the epoch): a stale test resource's. */
export function madeBefore(name: string, before: number): boolean {
  const made = nameStamp(name);
  return made !== undefined && made < before;
}
