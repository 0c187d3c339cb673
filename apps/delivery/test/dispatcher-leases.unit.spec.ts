import { createHook } from 'node:async_hooks';
import { describe, expect, it } from '@jest/globals';
import { until } from '@stagehook/testing';
import { Dispatcher, type DispatcherDeps, type DispatcherSettings } from '../src/commands/attempt-delivery/dispatcher.js';
import { claimedDelivery } from './support/claimed.js';

/**
 * Two deliveries to one endpoint with a per-endpoint cap of 1: the first is sent and hangs, the
 * second waits in this node's queue. `keep` says which leases a renewal still finds held.
 */
function node(opts: { keep: (ids: string[]) => string[]; clock?: () => number }) {
  const sent: string[] = [];
  let finishFirst: () => void = () => undefined;
  let claims = 0;
  const lost: number[] = [];
  const deps = {
    dataSource: { transaction: async (fn: (m: unknown) => Promise<unknown>) => fn({}) },
    deliveries: {
      claimDue: async () => (claims++ === 0 ? [claimedDelivery('d1'), claimedDelivery('d2')] : []),
      extendLeases: async (_node: string, ids: string[]) => new Set(opts.keep(ids)),
      release: async () => undefined,
      recordAttempts: async () => new Set<string>(),
    },
    endpoints: { recordSuccess: async () => undefined, recordFailure: async () => null },
    store: { append: async () => undefined, appendToStreams: async () => undefined },
    breakers: { openEndpoints: () => [], fire: async (_ep: string, run: () => Promise<unknown>) => ({ kind: 'ran', result: await run() }) },
    sender: {
      send: async (req: { headers: Record<string, string> }) => {
        sent.push(req.headers['webhook-id']);
        if (sent.length === 1) await new Promise<void>((r) => (finishFirst = r));
        return { statusCode: 200, responseHeaders: {}, responseBody: '', error: null, timedOut: false, durationMs: 1, startedAt: new Date() };
      },
    },
    openSecret: () => 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    logger: { warn: () => undefined, error: () => undefined },
    serviceName: 'delivery',
    onLeaseLost: () => lost.push(Date.now()),
    ...(opts.clock ? { now: opts.clock } : {}),
  } as unknown as DispatcherDeps;
  const settings = {
    node: 'n1',
    concurrency: 8,
    endpointConcurrency: 1,
    batch: 10,
    pollMs: 10_000,
    leaseMs: 150,
    schedules: { standard: [0, 1000], stage: [0] },
    retryAfterMaxMs: 1000,
    disableAfterMs: 1e9,
    breakerBackoffMs: 100,
  } as DispatcherSettings;
  return { dispatcher: new Dispatcher(deps, settings), sent, lost, claims: () => claims, finishFirst: () => finishFirst() };
}

describe('Dispatcher leases', () => {
  it('drops a queued delivery whose lease a renewal no longer finds, instead of sending a duplicate', async () => {
    const n = node({ keep: (ids) => ids.filter((id) => id !== 'd2') });
    n.dispatcher.start();
    await until(() => n.sent.length === 1);
    // Renewals run every 50 ms; d2's lease is reported lost and it leaves the queue unsent.
    await until(() => n.lost.length === 1);
    n.finishFirst();
    // d1's end runs the endpoint's queue (where d2 would be sent from) and then wakes the loop
    // for a third claim; stop waits for every attempt started by then, so a d2 sent by mistake
    // would be in `sent` below, however slow the machine.
    await until(() => n.claims() >= 3);
    await n.dispatcher.stop(10_000);
    expect(n.sent).toEqual(['d1']);
  });

  it('keeps no process alive by its timers: a node nobody stopped (a failed test, a failed start) cannot hang its process', async () => {
    // Every timer made while the node starts and runs; one still pending and ref'd would keep
    // the process from exiting (jest waits forever for such a run to end).
    const made: NodeJS.Timeout[] = [];
    const hook = createHook({ init: (_id, type, _trigger, resource) => void (type === 'Timeout' && made.push(resource as NodeJS.Timeout)) }).enable();
    const n = node({ keep: (ids) => ids });
    try {
      n.dispatcher.start();
      // Running: the lease renewal is armed, d2 waits in the queue and the loop sleeps on its poll.
      await until(() => n.sent.length === 1 && n.claims() >= 1);
      await new Promise((r) => setImmediate(r));
    } finally {
      hook.disable();
    }
    const pending = (t: NodeJS.Timeout & { _destroyed?: boolean }) => t._destroyed !== true;
    expect(made.filter(pending).length).toBeGreaterThanOrEqual(2);
    expect(made.filter((t) => pending(t) && t.hasRef()).length).toBe(0);
    n.finishFirst();
    await n.dispatcher.stop(10_000);
  });

  it('a node resumed after its leases lapsed (paused, starved) sends nothing it claimed before', async () => {
    let skew = 0;
    const n = node({ keep: (ids) => ids, clock: () => Date.now() + skew });
    n.dispatcher.start();
    await until(() => n.sent.length === 1);
    // As if the process had been stopped for a second: every lease this node holds has lapsed.
    skew = 1_000;
    n.finishFirst();
    await until(() => n.lost.length >= 1);
    expect(n.sent).toEqual(['d1']);
    await n.dispatcher.stop(200);
  });
});
