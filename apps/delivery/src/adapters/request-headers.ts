import type { EndpointStateData, SealedSecretData } from '@stagehook/contracts';
import { customHeaderField, type EndpointSecretField } from '@stagehook/platform';
import { signatureHeader } from '../domain/signing.js';
import { USER_AGENT } from './http-sender.js';

/** Opens an endpoint's sealed secret for that endpoint and field only (AES-GCM AAD). */
export type SecretOpener = (sealed: SealedSecretData, endpointId: string, field: EndpointSecretField) => string;

/** What a webhook request carries, and the same with every secret value redacted (for attempts). */
export interface RequestHeaders {
  headers: Record<string, string>;
  logged: Record<string, string>;
}

const REDACTED = '[redacted]';

/** An endpoint secret that cannot be opened: which one, and why (never its value). */
export class UnopenableSecretError extends Error {
  constructor(
    readonly field: EndpointSecretField,
    cause: unknown,
  ) {
    const what = field === 'signing' ? 'signing secret' : field === 'authorization' ? 'authorization header' : `custom header ${field.slice('header:'.length)}`;
    super(`the ${what} could not be opened (${cause instanceof Error ? cause.message : String(cause)})`);
    this.name = 'UnopenableSecretError';
  }
}

/**
 * The headers of one webhook request (a delivery or a test ping): the endpoint's custom headers,
 * then Stagehook's own (content type, user agent, Standard Webhooks id/timestamp/signature, which
 * a custom header can never replace), then the authorization header. Custom header values and
 * the authorization are secrets: `logged` holds them redacted. Throws when a secret cannot be
 * opened (a key no longer in SECRET_KEYS, a value bound to another endpoint or field).
 */
export function requestHeaders(ep: EndpointStateData, opener: SecretOpener, webhookId: string, timestamp: number, body: string): RequestHeaders {
  const open: SecretOpener = (sealed, endpointId, field) => {
    try {
      return opener(sealed, endpointId, field);
    } catch (err) {
      throw new UnopenableSecretError(field, err);
    }
  };
  const secrets = [open(ep.signingSecrets.current, ep.endpointId, 'signing')];
  const prev = ep.signingSecrets.previous;
  // During a rotation both signatures are sent until the old secret expires.
  if (prev && Date.parse(prev.expiresAt) > timestamp * 1000) secrets.push(open(prev.secret, ep.endpointId, 'signing'));
  const headers: Record<string, string> = {};
  const logged: Record<string, string> = {};
  for (const h of ep.headers) {
    const name = h.name.toLowerCase();
    headers[name] = h.sealed ? open(h.sealed, ep.endpointId, customHeaderField(h.name)) : (h.value ?? '');
    logged[name] = REDACTED;
  }
  const own = {
    'content-type': 'application/json',
    'user-agent': USER_AGENT,
    'webhook-id': webhookId,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signatureHeader(secrets, webhookId, timestamp, body),
  };
  Object.assign(headers, own);
  Object.assign(logged, own);
  if (ep.authorization) {
    headers.authorization = open(ep.authorization, ep.endpointId, 'authorization');
    logged.authorization = REDACTED;
  }
  return { headers, logged };
}
