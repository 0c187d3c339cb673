import 'reflect-metadata';
import { ConfigValidationError, createLogger, loadConfig } from '@stagehook/platform';
import { createConsoleApp } from './app.js';
import { ConsoleConfig } from './config.js';

let config: ConsoleConfig;
try {
  config = loadConfig(ConsoleConfig);
} catch (err) {
  createLogger({ service: 'console' }).fatal(err instanceof ConfigValidationError ? { problems: err.problems } : { err }, 'invalid configuration');
  process.exit(1);
}
const logger = createLogger({ service: config.SERVICE_NAME, level: config.LOG_LEVEL });
try {
  await createConsoleApp({ config, logger });
} catch (err) {
  logger.fatal({ err }, 'console failed to start');
  process.exit(1);
}
