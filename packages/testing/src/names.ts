import { randomBytes } from 'node:crypto';

/** A name unique to this run and call: JetStream streams and durables outlive test runs. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`.replace(/[^A-Za-z0-9_]/g, '_');
}
