import { Injectable } from '@nestjs/common';
import { checkTarget, SsrfAllowList } from '@stagehook/platform';
import { WebhooksConfig } from '../config.js';
import { UnsafeUrlError } from '../domain/errors.js';

/**
 * Registration-time SSRF check. The delivery service checks again at connect time (DNS may
 * change between now and then), so this is the early, explanatory refusal, not the only one.
 */
@Injectable()
export class UrlGuard {
  private readonly allowList: SsrfAllowList;

  constructor(config: WebhooksConfig) {
    this.allowList = new SsrfAllowList(config.SSRF_ALLOW_LIST);
  }

  /**
   * Returns the URL as the WHATWG parser normalises it (`http://2130706433/` → `http://127.0.0.1/`):
   * that form is stored, so the delivery service dials exactly the host that was checked.
   */
  async assertSafe(url: string): Promise<string> {
    const r = await checkTarget(url, { allowList: this.allowList });
    if (!r.ok) throw new UnsafeUrlError(r.reason);
    return r.url.href;
  }
}
