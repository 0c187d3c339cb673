import { describe, expect, it } from '@jest/globals';
import { until } from '@stagehook/testing';
import { Dispatcher, type DispatcherDeps, type DispatcherSettings } from '../src/commands/attempt-delivery/dispatcher.js';
import type { ClaimedDelivery, ScheduleKind } from '../src/persistence/delivery-queue.repository.js';
import { claimedDelivery } from './support/claimed.js';

const candidate = (id: string, endpointId: string, schedule: ScheduleKind = 'standard') => ({ id, endpointId, schedule });

/**
 * A dispatcher whose claims find nothing (so whatever it sends came by hand-off), whose requests
 * hang until `finishAll`, with endpoint `open` behind an open breaker. Global cap 4, per endpoint 2.
 */
function node(clock: () => number = Date.now, claim: () => Promise<ClaimedDelivery[]> = async () => []) {
  const sent: string[] = [];
  const released: string[] = [];
  const claims: { atCapacity: string[] }[] = [];
  const lost: string[] = [];
  const waiting: (() => void)[] = [];
  const deps = {
    dataSource: { transaction: async (fn: (m: unknown) => Promise<unknown>) => fn({}) },
    deliveries: {
      claimDue: async (_node: string, _limit: number, scope: { atCapacity: string[] }) => {
        claims.push({ atCapacity: [...scope.atCapacity].sort() });
        return claim();
      },
      extendLeases: async (_node: string, ids: string[]) => new Set(ids),
      release: async (_node: string, ids: string[]) => void released.push(...ids),
      recordAttempts: async (_m: unknown, _node: string, attempts: { attempt: { deliveryId: string } }[]) => new Set(attempts.map((a) => a.attempt.deliveryId)),
    },
    endpoints: { recordSuccess: async () => undefined, recordFailure: async () => null },
    store: { append: async () => undefined, appendToStreams: async () => undefined },
    breakers: { openEndpoints: () => ['open'], fire: async (_ep: string, run: () => Promise<unknown>) => ({ kind: 'ran', result: await run() }) },
    sender: {
      send: async (req: { headers: Record<string, string> }) => {
        sent.push(req.headers['webhook-id']);
        await new Promise<void>((r) => waiting.push(r));
        return { statusCode: 200, responseHeaders: {}, responseBody: '', error: null, timedOut: false, durationMs: 1, startedAt: new Date() };
      },
    },
    openSecret: () => 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    logger: { warn: () => undefined, error: () => undefined, info: () => undefined },
    serviceName: 'delivery',
    onLeaseLost: () => lost.push('lost'),
    now: clock,
  } as unknown as DispatcherDeps;
  const settings = {
    node: 'n1',
    concurrency: 4,
    endpointConcurrency: 2,
    batch: 10,
    pollMs: 10_000,
    leaseMs: 500,
    schedules: { standard: [0, 1000], stage: [0] },
    retryAfterMaxMs: 1000,
    disableAfterMs: 1e9,
    breakerBackoffMs: 100,
  } as DispatcherSettings;
  const finishAll = () => waiting.splice(0).forEach((r) => r());
  return { dispatcher: new Dispatcher(deps, settings), sent, released, claims, lost, finishAll };
}

describe('Dispatcher hand-off from intake', () => {
  it('reserves under the same caps a claim obeys: global, per endpoint, and no standard delivery behind an open breaker', async () => {
    const n = node();
    expect(n.dispatcher.reserve([candidate('early', 'a')])).toEqual(new Set());
    n.dispatcher.start();
    const taken = n.dispatcher.reserve([
      candidate('a1', 'a'),
      candidate('a2', 'a'),
      candidate('a3', 'a'), // endpoint a at its cap of 2
      candidate('o-std', 'open'), // its breaker is open
      candidate('o-stage', 'open', 'stage'), // a stage delivery runs its schedule whatever the breaker
      candidate('b1', 'b'), // the fourth slot
      candidate('b2', 'b'), // none left
    ]);
    expect([...taken].sort()).toEqual(['a1', 'a2', 'b1', 'o-stage']);
    // A slot given back is free again, once.
    n.dispatcher.unreserve(['a1', 'a1', 'unknown']);
    expect(n.dispatcher.reserve([candidate('a3', 'a'), candidate('a4', 'a')])).toEqual(new Set(['a3']));
    await n.dispatcher.stop(100);
  });

  it('counts reserved slots in the claim: an endpoint whose cap is reserved is left out, and adopted deliveries are sent without one', async () => {
    const n = node();
    n.dispatcher.start();
    await until(() => n.claims.length === 1);
    expect(n.dispatcher.reserve([candidate('a1', 'a'), candidate('a2', 'a')]).size).toBe(2);
    n.dispatcher.wake();
    await until(() => n.claims.length === 2);
    expect(n.claims[1].atCapacity).toEqual(['a']);
    n.dispatcher.adopt([claimedDelivery('a1', 'a'), claimedDelivery('a2', 'a')]);
    await until(() => n.sent.length === 2);
    expect(n.sent.sort()).toEqual(['a1', 'a2']);
    n.finishAll();
    await n.dispatcher.stop(1_000);
  });

  it('a claim that returns after intake reserved slots meanwhile keeps only what fits the global cap, and hands the rest back', async () => {
    let answer: (rows: ClaimedDelivery[]) => void = () => undefined;
    let first = true;
    const n = node(Date.now, () => {
      if (!first) return Promise.resolve([]);
      first = false;
      return new Promise((r) => (answer = r));
    });
    n.dispatcher.start();
    // The claim is under way, asked for the four free slots; intake reserves three of them.
    await until(() => n.claims.length === 1);
    expect(n.dispatcher.reserve([candidate('a1', 'a'), candidate('b1', 'b'), candidate('c1', 'c')]).size).toBe(3);
    answer([claimedDelivery('d1', 'd'), claimedDelivery('e1', 'e'), claimedDelivery('f1', 'f')]);
    n.dispatcher.adopt([claimedDelivery('a1', 'a'), claimedDelivery('b1', 'b'), claimedDelivery('c1', 'c')]);
    await until(() => n.sent.length === 4);
    await until(() => n.released.length === 2);
    // Four at once, the cap: the claim kept the oldest due (d1) and handed e1 and f1 back at once.
    expect(n.sent.sort()).toEqual(['a1', 'b1', 'c1', 'd1']);
    expect(n.released.sort()).toEqual(['e1', 'f1']);
    n.finishAll();
    await n.dispatcher.stop(1_000);
  });

  it('waits for the slots intake reserved before a stop, and hands back what it adopts meanwhile before the stop returns', async () => {
    const n = node();
    n.dispatcher.start();
    n.dispatcher.reserve([candidate('a1', 'a'), candidate('b1', 'b')]);
    let stopped = false;
    const stopping = n.dispatcher.stop(5_000).then(() => (stopped = true));
    // Intake's batch commits while the consumers stop: one written, one not.
    await new Promise((r) => setTimeout(r, 50));
    expect(stopped).toBe(false);
    n.dispatcher.adopt([claimedDelivery('a1', 'a')]);
    n.dispatcher.unreserve(['b1']);
    await stopping;
    expect(n.released).toEqual(['a1']);
    expect(n.sent).toEqual([]);
  });

  it('abandoning slots frees them and hands their rows back, for a COMMIT whose outcome is unknown', async () => {
    const n = node();
    n.dispatcher.start();
    expect(n.dispatcher.reserve([candidate('a1', 'a'), candidate('a2', 'a')]).size).toBe(2);
    n.dispatcher.abandon(['a1', 'a2']);
    await until(() => n.released.length === 2);
    expect(n.released.sort()).toEqual(['a1', 'a2']);
    // Endpoint a's cap is free again.
    expect(n.dispatcher.reserve([candidate('a3', 'a'), candidate('a4', 'a')]).size).toBe(2);
    await n.dispatcher.stop(100);
  });

  it('hands back a delivery adopted once stopping, and one never reserved, instead of sending it', async () => {
    const n = node();
    n.dispatcher.start();
    n.dispatcher.reserve([candidate('a1', 'a')]);
    await n.dispatcher.stop(100);
    n.dispatcher.adopt([claimedDelivery('a1', 'a'), claimedDelivery('stray', 'b')]);
    await until(() => n.released.length === 2);
    expect(n.released.sort()).toEqual(['a1', 'stray']);
    expect(n.sent).toEqual([]);
  });

  it('counts the lease from the reservation: a delivery whose commit came after its lease lapsed is not sent', async () => {
    let skew = 0;
    const n = node(() => Date.now() + skew);
    n.dispatcher.start();
    n.dispatcher.reserve([candidate('a1', 'a'), candidate('b1', 'b')]);
    // As if intake's transaction had taken longer than the lease to commit.
    skew = 1_000;
    n.dispatcher.adopt([claimedDelivery('a1', 'a'), claimedDelivery('b1', 'b')]);
    await until(() => n.lost.length === 2);
    expect(n.sent).toEqual([]);
    // Both are handed back to the queue at once, for any node's claim.
    await until(() => n.released.length === 2);
    await n.dispatcher.stop(100);
  });
});
