import { EnvUrl } from '@stagehook/platform';
import { BaseConfig } from '@stagehook/platform';
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
}
