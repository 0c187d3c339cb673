import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TestReceiver, answer, until } from '@stagehook/testing';
import { Harness } from './support/harness.js';

const P = 'proj-rep';

describe('two replicas share the consumers and the retry queue', () => {
  const h = new Harness('rep');
  let rx: TestReceiver;

  beforeAll(async () => {
    await h.setUp();
    rx = await TestReceiver.start();
    // Small claims so both replicas get work; breakers out of the way (tested elsewhere).
    const env = { DISPATCH_BATCH: '8', DISPATCH_CONCURRENCY: '16', ENDPOINT_CONCURRENCY: '8', BREAKER_VOLUME_THRESHOLD: '10000' };
    await h.boot(env);
    await h.boot(env);
  });

  afterAll(async () => {
    await h.tearDown();
    await rx.close();
  });

  it('sends no attempt twice, including retries', async () => {
    rx.setDefault(answer.slow(10), '/rep');
    const eps = [];
    for (let i = 0; i < 3; i++) eps.push(await h.registerEndpoint(P, `${rx.url}/rep/${i}`));
    // One request in four fails, so retries are shared too.
    const N = 240;
    for (let i = 0; i < N; i++) {
      if (i % 4 === 0) rx.next(`/rep/${i % 3}`, answer.status(500));
      await h.enterWebhookStage(P, eps[i % 3].endpointId);
    }
    await until(async () => (await h.query<{ n: string }>(`SELECT count(*) AS n FROM dl_deliveries WHERE status = 'delivered'`))[0].n === String(N), {
      timeoutMs: 60_000,
      intervalMs: 100,
    });
    const reqs = rx.received('/rep');
    const perAttempt = new Map<string, number>();
    // An attempt is (webhook-id, n-th request with that id); a duplicate would show as more
    // requests than recorded attempts.
    for (const r of reqs) perAttempt.set(String(r.headers['webhook-id']), (perAttempt.get(String(r.headers['webhook-id'])) ?? 0) + 1);
    const attempts = await h.query<{ delivery_id: string; n: string }>(`SELECT delivery_id, count(*) AS n FROM dl_attempts GROUP BY delivery_id`);
    expect(perAttempt.size).toBe(N);
    for (const a of attempts) expect(perAttempt.get(a.delivery_id)).toBe(Number(a.n));
    expect(reqs.length).toBe(attempts.reduce((s, a) => s + Number(a.n), 0));
    expect(reqs.filter((r) => r.answered === 500).length).toBe(N / 4);
    const senders = await h.query<{ sent_by: string }>(`SELECT DISTINCT sent_by FROM dl_attempts`);
    expect(senders.length).toBe(2);
    // One consumer per trigger: each stage entry made exactly one message.
    const messages = await h.query<{ n: string }>(`SELECT count(*) AS n FROM dl_messages`);
    expect(messages[0].n).toBe(String(N));
  }, 90_000);
});
