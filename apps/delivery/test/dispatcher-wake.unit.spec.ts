import { describe, expect, it } from '@jest/globals';
import { until } from '@stagehook/testing';
import { Dispatcher, type DispatcherDeps, type DispatcherSettings } from '../src/commands/attempt-delivery/dispatcher.js';

/** The claim loop only: claims are counted, nothing is ever due. */
function loop(claimMs: number) {
  const claims: number[] = [];
  let release: () => void = () => undefined;
  const deps = {
    deliveries: {
      claimDue: async () => {
        claims.push(Date.now());
        await new Promise<void>((r) => {
          release = r;
          setTimeout(r, claimMs);
        });
        return [];
      },
      extendLeases: async () => undefined,
      release: async () => undefined,
    },
    breakers: { openEndpoints: () => [] },
    logger: { warn: () => undefined, error: () => undefined },
  } as unknown as DispatcherDeps;
  const settings = { node: 'n', concurrency: 8, endpointConcurrency: 4, batch: 10, pollMs: 10_000, leaseMs: 60_000 } as DispatcherSettings;
  return { dispatcher: new Dispatcher(deps, settings), claims, finishClaim: () => release() };
}

describe('Dispatcher wake-ups', () => {
  it('a wake during a claim makes the next claim happen at once, not a poll interval later', async () => {
    const { dispatcher, claims, finishClaim } = loop(50);
    dispatcher.start();
    await until(() => claims.length >= 1);
    expect(claims).toHaveLength(1);
    // Deliveries committed while the first claim runs: the claim cannot have seen them.
    dispatcher.wake();
    finishClaim();
    // Well under the 10 s poll: the wake, not the poll, brings the second claim.
    await until(() => claims.length >= 2, { timeoutMs: 1_000 });
    expect(claims).toHaveLength(2);
    await new Promise((r) => setTimeout(r, 100));
    // No busy loop: one wake, one extra claim; then the loop sleeps its 10 s poll.
    expect(claims).toHaveLength(2);
    await dispatcher.stop(100);
  });

  it('a wake while sleeping claims at once', async () => {
    const { dispatcher, claims } = loop(0);
    dispatcher.start();
    await until(() => claims.length >= 1);
    expect(claims).toHaveLength(1);
    dispatcher.wake();
    await until(() => claims.length >= 2, { timeoutMs: 1_000 });
    expect(claims).toHaveLength(2);
    await dispatcher.stop(100);
  });
});
