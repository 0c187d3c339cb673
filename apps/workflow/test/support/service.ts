import type { ServiceDefinition } from '@stagehook/testing';
import { AppModule } from '../../src/app.module.js';
import { WorkflowConfig } from '../../src/config.js';
import { workflowErrorStatuses } from '../../src/errors.js';

/** The workflow service as `main.ts` boots it, for `bootService` (@stagehook/testing). */
export const workflowService: ServiceDefinition = { name: 'workflow', module: AppModule, config: WorkflowConfig, errorStatuses: workflowErrorStatuses };
