/**
 * Runs the sample receiver. Environment:
 *   PORT (4000), WEBHOOK_SECRETS (comma-separated whsec_… values), EXPECTED_AUTHORIZATION,
 *   ITEMS_URL and ITEMS_TOKEN (to tag items), FLAKY_PERCENT, BROKEN_PERCENT.
 */
import { createReceiver } from './receiver.js';

const env = process.env;
const { server } = createReceiver({
  secrets: (env.WEBHOOK_SECRETS ?? '').split(',').filter(Boolean),
  expectedAuthorization: env.EXPECTED_AUTHORIZATION || undefined,
  itemsUrl: env.ITEMS_URL || undefined,
  itemsToken: env.ITEMS_TOKEN || undefined,
  flakyPercent: Number(env.FLAKY_PERCENT ?? 0),
  brokenPercent: Number(env.BROKEN_PERCENT ?? 0),
});
const port = Number(env.PORT ?? 4000);
server.listen(port, env.HOST ?? '127.0.0.1', () => process.stdout.write(`receiver listening on :${port}\n`));

const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
