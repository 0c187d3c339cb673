import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { BusNamespace } from '@stagehook/contracts';
import { uniqueName } from '@stagehook/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeBasePort, NatsCluster } from '../../../scripts/lib/nats-cluster.mjs';
import { ConsumerRunner, ensureStreams } from '../src/index.js';
import { TestEnv } from './support.js';

// A three-node JetStream cluster of this file's own, on free ports from 16222 (the chaos cluster
// run takes 15222…, `npm run cluster` 14222…), in jest's process group: a stopped test run takes
// the nodes with it.
const FROM_PORT = Number(process.env.MESSAGING_CLUSTER_PORT ?? 16222);

let env: TestEnv;
let cluster: NatsCluster;
let dataDir: string;
let nc: NatsConnection;
let jsm: JetStreamManager;

beforeAll(async () => {
  env = await TestEnv.create('msg_cluster');
  dataDir = mkdtempSync(join(tmpdir(), 'stagehook-msg-cluster-'));
  cluster = new NatsCluster({ dataDir, basePort: await freeBasePort(FROM_PORT), size: 3, name: 'stagehook-msg-test', ownGroup: false });
  await cluster.start();
  nc = await connect({ servers: cluster.urls.split(','), name: 'msg-cluster-test' });
  jsm = await jetstreamManager(nc);
}, 90_000);

afterAll(async () => {
  await nc?.close();
  await cluster?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  await env?.close();
});

describe('a runner whose source stream does not exist yet, on a three-node cluster', () => {
  // Services boot in any order: workflow's consumer on DELIVERY may start before delivery has
  // provisioned DELIVERY. A stream the runner creates at one replica is scaled to three when its
  // owner boots, and the consumers made on it meanwhile were created at one replica and scaled with
  // it; NATS 2.9 then fails to catch such a consumer up on a restarted node, whose /healthz stays
  // 503 (the chaos cluster run's "node not healthy after 60 s").
  it('creates it, and DEADLETTER, at the replicas and size it is given, so its consumer is born with three', async () => {
    const ns = new BusNamespace(uniqueName('msgcl'));
    const runner = new ConsumerRunner({
      dataSource: env.ds,
      nats: nc,
      namespace: ns,
      stream: 'DELIVERY',
      durable: 'workflow-delivery-outcomes',
      handlers: { 'delivery.webhook.delivered': async () => undefined },
      streamLimits: { replicas: 3, maxBytes: 64 * 1024 * 1024 },
      pullExpiresMs: 1_000,
    });
    try {
      await runner.start();
      for (const key of ['DELIVERY', 'DEADLETTER'] as const) {
        const info = await jsm.streams.info(ns.streamName(key));
        expect({ key, replicas: info.config.num_replicas, maxBytes: info.config.max_bytes, peers: info.cluster?.replicas?.length }).toEqual({
          key,
          replicas: 3,
          maxBytes: 64 * 1024 * 1024,
          peers: 2,
        });
      }
      const consumer = await jsm.consumers.info(ns.streamName('DELIVERY'), ns.durable('workflow-delivery-outcomes'));
      expect(consumer.cluster?.replicas?.length).toBe(2);
      // Born at three, not scaled there: a Raft group's name keeps the peer count it was born with.
      const groups = cluster.raftGroups();
      expect(groups.filter((g) => /^[SC]-R[12]F-/.test(g))).toEqual([]);
      expect(groups.filter((g) => g.startsWith('C-R3F-'))).toHaveLength(1);
      // The owner booting afterwards with the same settings has nothing to change.
      const [owned] = await ensureStreams(jsm, ns, ['DELIVERY'], { replicas: 3, maxBytes: 64 * 1024 * 1024 });
      expect(owned.config.num_replicas).toBe(3);
    } finally {
      await runner.stop();
      for (const key of ['DELIVERY', 'DEADLETTER'] as const) await jsm.streams.delete(ns.streamName(key)).catch(() => undefined);
    }
  });
});
