/**
 * A publishing service that dies at a chosen point, for the SIGKILL tests: it commits one event
 * into its outbox, prints `committed <id>`, and then either hangs before any relay runs
 * (`commit`), or runs the relay and hangs after the publish was acknowledged but before the row
 * is marked (`publish`, printing `published <id>`). The test kills it with SIGKILL there.
 */
import { connect } from '@nats-io/transport-node';
import { BusNamespace } from '@stagehook/contracts';
import pg from 'pg';
import { OutboxRelay, Publisher } from '../../src/index.js';

const [mode, dbUrl, natsUrl, namespace] = process.argv.slice(2);
const pool = new pg.Pool({ connectionString: dbUrl, max: 3 });
const publisher = new Publisher<{ 'model.training.completed': { version: 1; data: { runId: string } } }>({
  projectId: 'proj-crash',
  versions: { 'model.training.completed': 1 },
});

const client = await pool.connect();
await client.query('BEGIN');
const id = await publisher.enqueue(client, 'model.training.completed', { runId: `run-${mode}` });
await client.query('COMMIT');
client.release();
process.stdout.write(`committed ${id}\n`);

const forever = () => new Promise<never>(() => setInterval(() => undefined, 60_000));
if (mode === 'commit') await forever();

const nc = await connect({ servers: natsUrl });
const relay = new OutboxRelay({
  pool,
  nats: nc,
  source: 'crash-child',
  namespace: new BusNamespace(namespace),
  afterPublish: async (ids) => {
    process.stdout.write(`published ${ids.join(',')}\n`);
    await forever();
  },
});
relay.start();
await forever();
