import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SWC_REGISTER, TestReceiver, answer, until } from '@stagehook/testing';
import { Harness } from './support/harness.js';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const P = 'proj-crash';

/** The real service in its own process (src/main.ts), so the test can SIGKILL it. */
function startProcess(env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['--import', SWC_REGISTER, MAIN], {
    env: { ...process.env, ...env, NODE_OPTIONS: '' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.on('data', (b: Buffer) => process.stderr.write(b));
  return child;
}

describe('delivery process killed with SIGKILL mid-batch', () => {
  const h = new Harness('crash');
  let rx: TestReceiver;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    await h.setUp();
    rx = await TestReceiver.start();
  });

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await h.tearDown();
    await rx.close();
  });

  it('loses no message: after a restart every delivery is sent and ends delivered', async () => {
    // Slow answers keep many attempts in flight when the process dies.
    rx.setDefault(answer.slow(200), '/crash');
    const env = h.env({ LEASE_MS: '2000', CONSUMER_ACK_WAIT_MS: '3000', DISPATCH_CONCURRENCY: '32', ENDPOINT_CONCURRENCY: '8', LOG_LEVEL: 'error' });
    const first = startProcess(env);
    children.push(first);
    // The first process migrates the database; endpoints arrive through its consumer. A child
    // started from sources can take long to boot on a loaded machine: wait for its consumer.
    await until(
      () =>
        h.jsm.consumers.info(h.ns.streamName('WEBHOOKS'), h.ns.durable('delivery-endpoints')).then(
          () => true,
          () => false,
        ),
      {
        timeoutMs: 180_000,
        intervalMs: 200,
        message: 'the first process consumes endpoint events',
      },
    );
    const eps = [];
    for (let i = 0; i < 4; i++) eps.push(await h.registerEndpoint(P, `${rx.url}/crash/${i}`));
    const N = 300;
    const entries = [];
    for (let i = 0; i < N; i++) entries.push(await h.enterWebhookStage(P, eps[i % 4].endpointId));
    await rx.waitFor(40, '/crash', 60_000);
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const sentBeforeCrash = new Set(rx.received('/crash').map((r) => r.headers['webhook-id']));
    expect(sentBeforeCrash.size).toBeLessThan(N);

    const second = startProcess(env);
    children.push(second);
    await until(async () => (await h.query<{ n: string }>(`SELECT count(*) AS n FROM dl_deliveries WHERE status = 'delivered'`))[0].n === String(N), {
      timeoutMs: 90_000,
      intervalMs: 200,
      message: `all ${N} delivered after the restart`,
    });
    const received = new Set(rx.received('/crash').map((r) => r.headers['webhook-id']));
    expect(received.size).toBe(N);
    // Every trigger has exactly one outcome event.
    const outcomes = await h.query<{ n: string }>(`SELECT count(DISTINCT data->>'triggerEventId') AS n FROM es_events WHERE type = 'delivery.webhook.delivered'`);
    expect(outcomes[0].n).toBe(String(N));
    const dup = await h.query<{ n: string }>(`SELECT count(*) AS n FROM es_events WHERE type LIKE 'delivery.webhook.%'`);
    expect(dup[0].n).toBe(String(N));
    // At-least-once: only what was in flight at the kill may have been sent twice.
    const duplicates = rx.received('/crash').length - N;
    expect(duplicates).toBeLessThanOrEqual(32);
    second.kill('SIGTERM');
    await new Promise((r) => second.once('exit', r));
  }, 150_000);
});
