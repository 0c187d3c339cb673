import type { ServiceDefinition } from '@stagehook/testing';
import { AppModule } from '../../src/app.module.js';
import { DeliveryConfig } from '../../src/config.js';
import { deliveryErrorStatuses } from '../../src/errors.js';

/** The delivery service as `main.ts` boots it, for `bootService` (@stagehook/testing). */
export const deliveryService: ServiceDefinition = { name: 'delivery', module: AppModule, config: DeliveryConfig, errorStatuses: deliveryErrorStatuses };
