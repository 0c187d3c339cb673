import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { SealedSecretData } from '@stagehook/contracts';
import { maskSecret, SecretBox } from '@stagehook/platform';
import { WebhooksConfig } from '../config.js';

/** Standard Webhooks: `whsec_` + base64 of 24–64 random bytes. */
const SIGNING_SECRET_BYTES = 32;

/**
 * The only place secrets exist in clear inside the registry: generated here, sealed at once,
 * opened only to mask them or for the explicit reveal.
 */
@Injectable()
export class EndpointSecrets {
  private readonly box: SecretBox;

  constructor(config: WebhooksConfig) {
    this.box = SecretBox.fromConfig(config.SECRET_KEYS);
  }

  newSigningSecret(): SealedSecretData {
    return this.box.seal(`whsec_${randomBytes(SIGNING_SECRET_BYTES).toString('base64')}`);
  }

  seal(plaintext: string): SealedSecretData {
    return this.box.seal(plaintext);
  }

  open(sealed: SealedSecretData): string {
    return this.box.open(sealed);
  }

  /** `whsec_…abcd`, or `Bearer …wxyz` for an authorization header (the scheme is not secret). */
  hint(sealed: SealedSecretData): string {
    const plain = this.box.open(sealed);
    const scheme = /^([A-Za-z][A-Za-z0-9-]*) +\S/.exec(plain);
    return scheme ? `${scheme[1]} ${maskSecret(plain.slice(scheme[0].length - 1))}` : maskSecret(plain);
  }
}
