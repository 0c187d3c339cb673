import type { ServiceDefinition } from '@stagehook/testing';
import { AppModule } from '../src/app.module.js';
import { WebhooksConfig } from '../src/config.js';
import { webhooksErrorStatuses } from '../src/errors.js';

/** The webhook registry as `main.ts` boots it, for `bootService` (@stagehook/testing). */
export const webhooksService: ServiceDefinition = { name: 'webhooks', module: AppModule, config: WebhooksConfig, errorStatuses: webhooksErrorStatuses };
