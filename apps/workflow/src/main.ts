import { runService } from '@stagehook/platform';
import { AppModule } from './app.module.js';
import { WorkflowConfig } from './config.js';
import { workflowErrorStatuses } from './errors.js';

await runService(AppModule, WorkflowConfig, {
  errorStatuses: workflowErrorStatuses,
  openApi: { title: 'Stagehook workflow', description: 'Workflow definitions and items moving through their stages' },
});
