import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { testEnv } from './env.js';

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
