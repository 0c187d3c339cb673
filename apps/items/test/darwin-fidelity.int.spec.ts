import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { connectTestNats, createTestDatabase, deleteNamespace, type TestDatabase } from '@stagehook/testing';
import { formatReport, runFidelity } from './fidelity/fidelity.js';
import { bootItems, type Booted } from './support.js';

// `npm run fidelity` runs this file alone and shows its table (written to stdout, which jest
// leaves alone); the last line is one JSON object.
describe("V7's own Darwin JSON 2.0 exports (darwin-py e2e_tests/data/import)", () => {
  let db: TestDatabase;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let s: Booted;

  beforeAll(async () => {
    db = await createTestDatabase('items_fidelity');
    ({ nc, jsm } = await connectTestNats());
    s = await bootItems(db);
  });

  afterAll(async () => {
    await s.app.close();
    await deleteNamespace(jsm, s.ns.prefix);
    await nc.drain();
    await db.drop();
  });

  it('imports every document and exports every annotation and item property equal in meaning', async () => {
    const report = await runFidelity((method, path, body) => s.call(method, path, body));
    process.stdout.write(`${formatReport(report)}\n`);
    expect(report.sets.flatMap((x) => x.problems)).toEqual([]);
    expect(report.totals.documentsFaithful).toBe(report.totals.documents);
    expect(report.totals.percentEqual).toBe(100);
  });
});
