import { Webhook, WebhookVerificationError } from 'standardwebhooks';

export { WebhookVerificationError };

export interface VerifyOptions {
  /** Signing secrets (`whsec_…`); during a rotation pass both, the new one first. */
  secrets: string | readonly string[];
  /** The request headers (`webhook-id`, `webhook-timestamp`, `webhook-signature`). */
  headers: Record<string, string | string[] | undefined> | Headers;
  /** The raw body exactly as received: verifying re-serialised JSON fails. */
  body: string | Buffer;
}

function plainHeaders(h: VerifyOptions['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof (h as Headers).forEach === 'function' && typeof (h as Headers).get === 'function') {
    (h as Headers).forEach((v, k) => (out[k.toLowerCase()] = v));
    return out;
  }
  for (const [k, v] of Object.entries(h as Record<string, string | string[] | undefined>)) {
    if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

/**
 * Verifies a Stagehook webhook with the `standardwebhooks` library (signature and a five-minute
 * timestamp tolerance) and returns the parsed body. Throws `WebhookVerificationError` when no
 * secret matches.
 */
export function verifyWebhook<T = unknown>({ secrets, headers, body }: VerifyOptions): T {
  const list = typeof secrets === 'string' ? [secrets] : [...secrets];
  if (list.length === 0) throw new RangeError('at least one signing secret is required');
  const payload = typeof body === 'string' ? body : body.toString('utf8');
  const h = plainHeaders(headers);
  let last: unknown;
  for (const secret of list) {
    try {
      return new Webhook(secret).verify(payload, h) as T;
    } catch (err) {
      last = err;
    }
  }
  throw last instanceof Error ? last : new WebhookVerificationError('No matching signature found');
}
