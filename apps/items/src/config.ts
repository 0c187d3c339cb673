import { BaseConfig, EnvInteger, EnvUrl } from '@stagehook/platform';
import { Matches } from 'class-validator';

export class ItemsConfig extends BaseConfig {
  /**
   * Bulk registration (1,000 items) and bulk annotation / Darwin import bodies run to a few
   * megabytes; anything larger is a 413, not a slow parse.
   */
  @Matches(/^\d+(b|kb|mb)?$/i, { message: 'must be a size such as 512kb or 5mb' })
  override HTTP_BODY_LIMIT = '5mb';

  /** Base of the `workview_url` in Darwin exports; the item id is appended. */
  @EnvUrl(['http', 'https'])
  WORKVIEW_BASE_URL = 'http://localhost:3020/workview';

  /**
   * Darwin exports up to this size travel inside the `rpc.items.darwin-export.v2` reply; larger ones
   * through the bus's document store (NATS carries at most max_payload, 1 MiB by default, per
   * message). Keep it well below max_payload: the reply also carries the item summary.
   */
  @EnvInteger({ min: 1024, max: 768 * 1024 })
  DARWIN_INLINE_MAX_BYTES = 256 * 1024;

  /**
   * The largest Darwin export handed to delivery (an item with 10,000 polygons is about 7 MB);
   * a larger one is refused as `payload_too_large` and its stage delivery fails at once.
   */
  @EnvInteger({ min: 1024, max: 1024 * 1024 * 1024 })
  DARWIN_EXPORT_MAX_BYTES = 64 * 1024 * 1024;
}
