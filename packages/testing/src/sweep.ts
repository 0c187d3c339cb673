import { sweepStaleDatabases } from './database.js';
import { connectTestNats, sweepStaleNamespaces } from './nats.js';

/**
 * Removes what test runs killed before their teardown left on the test PostgreSQL and NATS: the
 * databases and bus namespaces named by `uniqueName` more than `olderThanMs` ago. `npm test` runs
 * it before the integration suites; a run still going (younger than that) is left alone.
 */
export async function sweepStaleTestResources(olderThanMs: number): Promise<{ databases: string[]; streams: string[] }> {
  const before = Date.now() - olderThanMs;
  const { nc, jsm } = await connectTestNats('stale-sweep');
  try {
    const streams = await sweepStaleNamespaces(jsm, before);
    const databases = await sweepStaleDatabases(before);
    return { databases, streams };
  } finally {
    await nc.drain();
  }
}
