import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { testEnv } from './env.js';
import { madeBefore } from './names.js';

/** A NATS connection for a test file; close it with `nc.drain()` in afterAll. */
export async function connectTestNats(name = 'test'): Promise<{ nc: NatsConnection; jsm: JetStreamManager }> {
  const nc = await connect({ servers: testEnv.natsUrl, name });
  return { nc, jsm: await jetstreamManager(nc) };
}

/** Removes the streams a test created (names from `uniqueName`). */
export async function deleteStreams(jsm: JetStreamManager, names: string[]): Promise<void> {
  for (const n of names) {
    try {
      await jsm.streams.delete(n);
    } catch {
      // already gone
    }
  }
}

/**
 * Removes everything a bus namespace left on the server: its event streams (`<prefix>_ITEMS`, …)
 * and its object stores and key-value buckets (`OBJ_<prefix>_documents`, `KV_<prefix>_…`).
 * A namespace's object store reserves its `max_bytes` of JetStream storage, so a test run that
 * leaves buckets behind exhausts the server's storage for every later run.
 */
export async function deleteNamespace(jsm: JetStreamManager, prefix: string): Promise<void> {
  if (!prefix) throw new Error('refusing to delete the root namespace');
  const owned = new RegExp(`^(?:OBJ_|KV_)?${prefix.replace(/[-]/g, '\\-')}_`);
  const names: string[] = [];
  for await (const name of jsm.streams.names()) if (owned.test(name)) names.push(name);
  await deleteStreams(jsm, names);
}

/** `deleteNamespace` on a connection of its own, for harnesses that hold none. */
export async function deleteTestNamespace(prefix: string): Promise<void> {
  const { nc, jsm } = await connectTestNats('namespace-cleanup');
  try {
    await deleteNamespace(jsm, prefix);
  } finally {
    await nc.drain();
  }
}

/**
 * Deletes the streams, object stores and buckets of test namespaces named by `uniqueName` (its
 * `_t<stamp>_<hex>` form) before `before` (ms since the epoch): those of runs that were killed or
 * cancelled before their teardown. Each reserves its `max_bytes` of the server's JetStream
 * storage, so enough of them make every later run fail with "insufficient storage resources".
 * Names without that form are never touched.
 */
export async function sweepStaleNamespaces(jsm: JetStreamManager, before: number): Promise<string[]> {
  const stale: string[] = [];
  for await (const name of jsm.streams.names()) if (madeBefore(name, before)) stale.push(name);
  await deleteStreams(jsm, stale);
  return stale;
}
