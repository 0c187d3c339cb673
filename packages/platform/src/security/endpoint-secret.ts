import type { SealedSecret, SecretBox } from './secret-box.js';

/**
 * Which secret of an endpoint a sealed value is: its `Authorization` header value, a signing
 * secret (current or previous), or a custom header's value (`header:<lower-case name>`).
 */
export type EndpointSecretField = 'authorization' | 'signing' | `header:${string}`;

/** A sealed endpoint secret; `bound` says it was sealed with its endpoint and field as AAD. */
export interface SealedEndpointSecret extends SealedSecret {
  bound?: boolean;
}

export function customHeaderField(name: string): EndpointSecretField {
  return `header:${name.toLowerCase()}`;
}

function aad(endpointId: string, field: EndpointSecretField): string {
  return `stagehook:endpoint:${endpointId}:${field}`;
}

/**
 * Seals an endpoint's secret bound to the endpoint and the field (AES-GCM additional data): a
 * sealed value copied into another endpoint's event, or from the authorization into a header,
 * fails authentication instead of being sent to the wrong receiver.
 */
export function sealEndpointSecret(box: SecretBox, plaintext: string, endpointId: string, field: EndpointSecretField): SealedEndpointSecret {
  return { ...box.seal(plaintext, aad(endpointId, field)), bound: true };
}

/**
 * Opens what `sealEndpointSecret` sealed, for that endpoint and field only. Values sealed before
 * binding existed (no `bound`) open as they were sealed; dropping `bound` from a bound value does
 * not help, since its tag then fails without the additional data.
 */
export function openEndpointSecret(box: SecretBox, sealed: SealedEndpointSecret, endpointId: string, field: EndpointSecretField): string {
  return box.open(sealed, sealed.bound ? aad(endpointId, field) : undefined);
}
