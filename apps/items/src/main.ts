import { runService } from '@stagehook/platform';
import { AppModule } from './app.module.js';
import { ItemsConfig } from './config.js';
import { itemsErrorStatuses } from './errors.js';

await runService(AppModule, ItemsConfig, { errorStatuses: itemsErrorStatuses, openApi: { title: 'Stagehook items' } });
