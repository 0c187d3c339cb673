import { BaseConfig, EnvInteger, EnvList, isValidKeyring, Secret, SsrfAllowList } from '@stagehook/platform';
import { ValidateBy } from 'class-validator';

function isAllowList(value: unknown): boolean {
  if (!Array.isArray(value)) return false;
  try {
    new SsrfAllowList(value as string[]);
    return true;
  } catch {
    return false;
  }
}

export class WebhooksConfig extends BaseConfig {
  /**
   * Keyring sealing endpoint secrets at rest and in events: `k1:<base64 32 bytes>,k0:<…>`. The
   * first key seals, all open; the delivery service must hold the same keyring.
   */
  @Secret()
  @ValidateBy({
    name: 'keyring',
    validator: { validate: isValidKeyring, defaultMessage: () => 'must be kid:<base64 32-byte key>[,kid:<key>…]' },
  })
  SECRET_KEYS!: string;

  /** Hosts (`localhost`, `*.dev.test`) and CIDRs webhook URLs may target although not public. Development and tests only. */
  @EnvList()
  @ValidateBy({
    name: 'ssrfAllowList',
    validator: { validate: isAllowList, defaultMessage: () => 'must be comma-separated host names, *.suffixes, IPs or CIDRs' },
  })
  SSRF_ALLOW_LIST: string[] = [];

  /** How long a rotated-out signing secret stays valid when the request does not say (Standard Webhooks: 24 h). */
  @EnvInteger({ min: 0, max: 7 * 86_400 })
  ROTATION_GRACE_SECONDS = 86_400;

  /** Added to the endpoint timeout when waiting for the delivery service's test-ping reply. */
  @EnvInteger({ min: 100, max: 60_000 })
  TEST_PING_MARGIN_MS = 3_000;
}
