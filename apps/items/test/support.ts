import type { ServiceDefinition } from '@stagehook/testing';
import { AppModule } from '../src/app.module.js';
import { ItemsConfig } from '../src/config.js';
import { itemsErrorStatuses } from '../src/errors.js';

/** The items service as `main.ts` boots it, for `bootService` (@stagehook/testing). */
export const itemsService: ServiceDefinition = { name: 'items', module: AppModule, config: ItemsConfig, errorStatuses: itemsErrorStatuses };
