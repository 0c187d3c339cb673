import { randomBytes } from 'node:crypto';

/** A name unique to this run and call: JetStream streams and durables outlive test runs. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`.replace(/[^A-Za-z0-9_]/g, '_');
}

/** Made by `uniqueName`: `_<Date.now() in base 36>_<8 hex>`, followed by `_` or the end of the name. */
const STAMP = /_([0-9a-z]{8})_[0-9a-f]{8}(?:_|$)/;

/**
 * When a name made by `uniqueName` was made (ms since the epoch), read from the name itself, or
 * undefined for any other name. Stale test resources are found this way: a run that was killed
 * never removed its own.
 */
export function nameStamp(name: string): number | undefined {
  const m = STAMP.exec(name);
  if (!m) return undefined;
  const t = parseInt(m[1], 36);
  return t >= Date.UTC(2020, 0, 1) && t <= Date.now() + 24 * 3600_000 ? t : undefined;
}
