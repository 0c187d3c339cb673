/**
 * A service process for the signal tests: boots the sample app through bootstrapService with
 * signal handling on, logging JSON to stdout. `--hang` makes a shutdown hook never finish.
 * Environment: the test passes the service variables; loadConfig reads them.
 */
import { BaseConfig, bootstrapService, loadConfig } from '../../src/index.js';
import { SampleAppModule, ShutdownProbe } from './sample-app.js';

const config = loadConfig(BaseConfig);
const app = await bootstrapService(SampleAppModule, { config, openApi: false });
if (process.argv.includes('--hang')) app.get(ShutdownProbe).hang = true;
