import { runService } from '@stagehook/platform';
import { AppModule } from './app.module.js';
import { DeliveryConfig } from './config.js';
import { deliveryErrorStatuses } from './errors.js';

await runService(AppModule, DeliveryConfig, { errorStatuses: deliveryErrorStatuses, openApi: { title: 'Stagehook delivery' } });
