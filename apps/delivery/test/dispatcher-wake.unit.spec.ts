import { describe, expect, it } from '@jest/globals';
import { until } from '@stagehook/testing';
import { Dispatcher, type DispatcherDeps, type DispatcherSettings } from '../src/commands/attempt-delivery/dispatcher.js';

/**
 * The claim loop only: claims are counted, nothing is ever due. The loop's sleeps go to a
 * scheduler that never fires on its own: a pending sleep is the loop waiting for a wake (or its
 * poll), so what it did before it can be checked without waiting on the clock.
 */
function loop(opts: { holdFirstClaim: boolean }) {
  const claims: number[] = [];
  const sleeps: number[] = [];
  let release: () => void = () => undefined;
  const deps = {
    deliveries: {
      claimDue: async () => {
        claims.push(Date.now());
        // The first claim runs until the test finishes it; the others answer at once.
        if (opts.holdFirstClaim && claims.length === 1) await new Promise<void>((r) => (release = r));
        return [];
      },
      extendLeases: async () => undefined,
      release: async () => undefined,
    },
    breakers: { openEndpoints: () => [] },
    logger: { warn: () => undefined, error: () => undefined },
    schedule: (_fire: () => void, ms: number) => {
      sleeps.push(ms);
      return () => undefined;
    },
  } as unknown as DispatcherDeps;
  const settings = { node: 'n', concurrency: 8, endpointConcurrency: 4, batch: 10, pollMs: 10_000, leaseMs: 60_000 } as DispatcherSettings;
  return { dispatcher: new Dispatcher(deps, settings), claims, sleeps, finishClaim: () => release() };
}

/**
 * A loop whose first claim answers one delivery of `ep-a` (its endpoint gone, so its attempt is
 * a quick failure without a request) and every later claim nothing.
 */
function loopWithOneDelivery(endpointConcurrency: number) {
  const claims: number[] = [];
  const sleeps: number[] = [];
  let attempted = 0;
  const delivery = { id: 'd1', endpointId: 'ep-a', endpoint: null, attempts: 0, schedule: 'standard' };
  const deps = {
    deliveries: {
      claimDue: async () => {
        claims.push(Date.now());
        return claims.length === 1 ? [delivery] : [];
      },
      failWithoutAttempt: async () => {
        attempted++;
        return false;
      },
      extendLeases: async () => new Set<string>(),
      release: async () => undefined,
    },
    dataSource: { transaction: async (fn: (m: unknown) => Promise<unknown>) => fn({}) },
    breakers: { openEndpoints: () => [] },
    logger: { warn: () => undefined, error: () => undefined },
    schedule: (_fire: () => void, ms: number) => {
      sleeps.push(ms);
      return () => undefined;
    },
  } as unknown as DispatcherDeps;
  const settings = { node: 'n', concurrency: 8, endpointConcurrency, batch: 10, pollMs: 10_000, leaseMs: 60_000 } as DispatcherSettings;
  return { dispatcher: new Dispatcher(deps, settings), claims, sleeps, attempted: () => attempted };
}

/** Lets every callback already queued run (promise reactions, then one turn of the loop). */
const settle = () => new Promise<void>((r) => setImmediate(r));

describe('Dispatcher wake-ups', () => {
  it('a finished attempt does not claim again when the last claim took everything due', async () => {
    const { dispatcher, claims, sleeps, attempted } = loopWithOneDelivery(4);
    dispatcher.start();
    try {
      await until(() => attempted() === 1 && sleeps.length >= 1);
      await settle();
      // The claim was held back by no cap: what becomes due later comes with a wake or the poll.
      expect(claims).toHaveLength(1);
      // Asleep, not stuck: a wake (intake's commit) still claims at once.
      dispatcher.wake();
      await until(() => claims.length >= 2, { timeoutMs: 1_000 });
    } finally {
      await dispatcher.stop(100);
    }
  });

  it('a finished attempt claims again when the last claim left its endpoint at its cap', async () => {
    const { dispatcher, claims, attempted } = loopWithOneDelivery(1);
    dispatcher.start();
    try {
      // The poll never fires here: only the finished attempt can bring the second claim.
      await until(() => attempted() === 1 && claims.length >= 2, { timeoutMs: 1_000 });
      expect(claims).toHaveLength(2);
    } finally {
      await dispatcher.stop(100);
    }
  });

  it('a wake during a claim makes the next claim happen at once, not a poll interval later', async () => {
    const { dispatcher, claims, sleeps, finishClaim } = loop({ holdFirstClaim: true });
    dispatcher.start();
    await until(() => claims.length >= 1);
    expect(claims).toHaveLength(1);
    // Deliveries committed while the first claim runs: the claim cannot have seen them.
    dispatcher.wake();
    finishClaim();
    // The poll timer never fires here: the wake, not the poll, brings the second claim.
    await until(() => claims.length >= 2, { timeoutMs: 1_000 });
    expect(claims).toHaveLength(2);
    // No busy loop: after the second claim the loop sleeps its 10 s poll (its first sleep: the
    // wake ended the one after the first claim before it began), and nothing but a wake or that
    // timer can bring a third claim.
    await until(() => sleeps.length >= 1);
    expect(sleeps).toEqual([10_000]);
    expect(claims).toHaveLength(2);
    await dispatcher.stop(100);
  });

  it('a wake while sleeping claims at once', async () => {
    const { dispatcher, claims, sleeps } = loop({ holdFirstClaim: false });
    dispatcher.start();
    await until(() => claims.length >= 1);
    // Asleep on its poll, which never fires by itself here.
    await until(() => sleeps.length >= 1);
    expect(claims).toHaveLength(1);
    dispatcher.wake();
    await until(() => claims.length >= 2, { timeoutMs: 1_000 });
    expect(claims).toHaveLength(2);
    await dispatcher.stop(100);
  });
});
