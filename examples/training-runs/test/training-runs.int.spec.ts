import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { jetstream, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { BusNamespace } from '@stagehook/contracts';
import { OutboxRelay } from '@stagehook/publisher';
import { connectTestNats, createTestDatabase, deleteNamespace, uniqueName, until, type TestDatabase } from '@stagehook/testing';
import pg from 'pg';
import { TrainingRuns } from '../src/training-runs.js';

describe('example training-runs service', () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let relay: OutboxRelay;
  const ns = new BusNamespace(uniqueName('training'));

  beforeAll(async () => {
    db = await createTestDatabase('example_training');
    pool = new pg.Pool({ connectionString: db.url, max: 4 });
    ({ nc, jsm } = await connectTestNats('training-runs'));
    // The registry's part: it makes PUBLISHED; a relay waits for it and never makes it.
    await jsm.streams.add({ name: ns.streamName('PUBLISHED'), subjects: ns.streamSubjects('PUBLISHED') });
    relay = new OutboxRelay({ pool, nats: nc, source: 'training-runs', namespace: ns, pollMs: 50 });
  });

  afterAll(async () => {
    await relay?.stop();
    await pool?.end();
    await deleteNamespace(jsm, ns.prefix);
    await nc?.drain();
    await db?.drop();
  });

  it('publishes model.training.completed with the run, once, and nothing for a run that was not running', async () => {
    const runs = new TrainingRuns(pool, 'proj-ml');
    await runs.migrate();
    const run = await runs.start('screw-detector');
    expect(await runs.complete(run.id, { accuracy: 0.94, epochs: 30 })).toMatchObject({ status: 'completed' });
    // Completing again is refused: the row is not running, and no second event is written.
    expect(await runs.complete(run.id, { accuracy: 0.5, epochs: 1 })).toBeUndefined();
    relay.start();
    await until(async () => (await pool.query(`SELECT 1 FROM stagehook_outbox WHERE published_at IS NULL`)).rowCount === 0, { message: 'outbox drained' });

    const name = ns.streamName('PUBLISHED');
    const count = (await jsm.streams.info(name)).state.messages;
    expect(count).toBe(1);
    const m = await (await jetstream(nc).consumers.get(name)).next({ expires: 2000 });
    expect(m?.subject).toBe(ns.subject('published.model.training.completed'));
    expect(JSON.parse(m!.string())).toMatchObject({
      type: 'model.training.completed',
      source: 'training-runs',
      projectid: 'proj-ml',
      subject: run.id,
      dataschemaversion: 1,
      data: { runId: run.id, model: 'screw-detector', accuracy: 0.94, epochs: 30 },
    });
  });
});
