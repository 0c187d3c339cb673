import { jetstream, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { BusNamespace, type CloudEvent, type EventMetadata } from '@stagehook/contracts';
import { createTestDatabase, uniqueName, type TestDatabase } from '@stagehook/testing';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { eventStoreMigrations, type EventToAppend } from '../src/index.js';

export async function migratedDatabase(prefix: string): Promise<{ db: TestDatabase; ds: DataSource }> {
  const db = await createTestDatabase(prefix);
  const ds = new DataSource({ type: 'postgres', url: db.url, migrations: eventStoreMigrations, migrationsRun: true, poolSize: 10 });
  await ds.initialize();
  return { db, ds };
}

export function dataSourceFor(url: string, poolSize = 10): Promise<DataSource> {
  return new DataSource({ type: 'postgres', url, poolSize }).initialize();
}

export const meta: EventMetadata = { source: 'test', projectId: 'proj-1' };

export function ev(type: string, data: Record<string, unknown> = {}): EventToAppend {
  return { id: randomUUID(), type, schemaVersion: 1, data, metadata: meta };
}

/** A namespace and its ITEMS stream, where the tests' `item.*` events land. */
export async function testStream(jsm: JetStreamManager): Promise<{ ns: BusNamespace; stream: string }> {
  const ns = new BusNamespace(uniqueName('es'));
  const stream = ns.streamName('ITEMS');
  await jsm.streams.add({ name: stream, subjects: ns.streamSubjects('ITEMS'), duplicate_window: 120_000_000_000 });
  return { ns, stream };
}

/**
 * Every message in the stream, in stream order, read one sequence at a time: the stream's own
 * order, with no consumer (and its redelivery or reset logic) in between.
 */
export async function readStreamMessages(nc: NatsConnection, stream: string): Promise<(CloudEvent & { seq: number })[]> {
  const jsm = await jetstream(nc).jetstreamManager();
  const { state } = await jsm.streams.info(stream);
  const out: (CloudEvent & { seq: number })[] = [];
  if (state.messages === 0) return out;
  for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
    const m = await jsm.streams.getMessage(stream, { seq });
    if (m) out.push({ ...m.json<CloudEvent>(), seq });
  }
  return out;
}
