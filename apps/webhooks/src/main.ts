import { runService } from '@stagehook/platform';
import { AppModule } from './app.module.js';
import { WebhooksConfig } from './config.js';
import { webhooksErrorStatuses } from './errors.js';

await runService(AppModule, WebhooksConfig, {
  errorStatuses: webhooksErrorStatuses,
  openApi: { title: 'Stagehook webhook registry', description: 'Endpoints, subscriptions, signing secrets' },
});
