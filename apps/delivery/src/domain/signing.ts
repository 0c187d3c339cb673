import { createHmac } from 'node:crypto';

/**
 * Standard Webhooks symmetric signatures: `v1,` + base64(HMAC-SHA256(key, `${id}.${ts}.${body}`)),
 * key = the base64 part of `whsec_…`. Several signatures (a rotation) are space-separated.
 * Signs the exact bytes that are sent.
 */
export function secretKey(secret: string): Buffer {
  const b64 = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret;
  return Buffer.from(b64, 'base64');
}

export function sign(secret: string, webhookId: string, timestampSeconds: number, body: string): string {
  const mac = createHmac('sha256', secretKey(secret)).update(`${webhookId}.${timestampSeconds}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/** The `webhook-signature` header value for every secret currently valid. */
export function signatureHeader(secrets: readonly string[], webhookId: string, timestampSeconds: number, body: string): string {
  return secrets.map((s) => sign(s, webhookId, timestampSeconds, body)).join(' ');
}
