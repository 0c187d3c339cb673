import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { CustomHeaderData, SealedSecretData } from '@stagehook/contracts';
import { customHeaderField, maskSecret, openEndpointSecret, sealEndpointSecret, SecretBox, ValidationFailedError, type EndpointSecretField } from '@stagehook/platform';
import { WebhooksConfig } from '../config.js';

/** Standard Webhooks: `whsec_` + base64 of 24–64 random bytes. */
const SIGNING_SECRET_BYTES = 32;

/**
 * The only place secrets exist in clear inside the registry: generated here, sealed at once
 * (bound to their endpoint and field), opened only to mask them, to compare a value given again,
 * or for the explicit reveal.
 */
@Injectable()
export class EndpointSecrets {
  private readonly box: SecretBox;

  constructor(config: WebhooksConfig) {
    this.box = SecretBox.fromConfig(config.SECRET_KEYS);
  }

  newSigningSecret(endpointId: string): SealedSecretData {
    return sealEndpointSecret(this.box, `whsec_${randomBytes(SIGNING_SECRET_BYTES).toString('base64')}`, endpointId, 'signing');
  }

  seal(plaintext: string, endpointId: string, field: EndpointSecretField): SealedSecretData {
    return sealEndpointSecret(this.box, plaintext, endpointId, field);
  }

  open(sealed: SealedSecretData, endpointId: string, field: EndpointSecretField): string {
    return openEndpointSecret(this.box, sealed, endpointId, field);
  }

  /**
   * Custom headers as the endpoint's events carry them: every value sealed, bound to the endpoint
   * and the header's name. A header given without a value keeps the one set before under that
   * name (the API never shows values, so a client cannot send them back); a value given again
   * unchanged keeps its sealed form, so re-sending the same settings changes nothing.
   */
  sealHeaders(endpointId: string, given: ReadonlyArray<{ name: string; value?: string }>, existing: readonly CustomHeaderData[] = []): CustomHeaderData[] {
    const before = new Map(existing.map((h) => [h.name.toLowerCase(), h]));
    const missing: number[] = [];
    const sealed = given.map((h, i): CustomHeaderData => {
      const field = customHeaderField(h.name);
      const old = before.get(h.name.toLowerCase());
      const oldValue = old ? this.headerValue(endpointId, old) : undefined;
      if (h.value === undefined) {
        if (oldValue === undefined) missing.push(i);
        return { name: h.name, sealed: old?.sealed ?? this.seal(oldValue ?? '', endpointId, field) };
      }
      if (old?.sealed && oldValue === h.value) return { name: h.name, sealed: old.sealed };
      return { name: h.name, sealed: this.seal(h.value, endpointId, field) };
    });
    if (missing.length > 0) throw new ValidationFailedError(missing.map((i) => ({ path: `headers[${i}].value`, messages: ['is required: no value is set for this header yet'] })));
    return sealed;
  }

  /** A custom header's value in clear (sealed, or in clear in events written before sealing). */
  headerValue(endpointId: string, h: CustomHeaderData): string {
    return h.sealed ? this.open(h.sealed, endpointId, customHeaderField(h.name)) : (h.value ?? '');
  }

  /** `whsec_…abcd`, or `Bearer …wxyz` for an authorization header (the scheme is not secret). */
  hint(sealed: SealedSecretData, endpointId: string, field: EndpointSecretField): string {
    const plain = this.open(sealed, endpointId, field);
    const scheme = /^([A-Za-z][A-Za-z0-9-]*) +\S/.exec(plain);
    return scheme ? `${scheme[1]} ${maskSecret(plain.slice(scheme[0].length - 1))}` : maskSecret(plain);
  }
}
