import { describe, expect, it } from '@jest/globals';
import type { DispatcherDeps, DispatcherSettings } from '../src/commands/attempt-delivery/dispatch-deps.js';
import { OutcomeRecorder } from '../src/commands/attempt-delivery/outcome-recorder.js';
import type { ClaimedDelivery } from '../src/persistence/delivery-queue.repository.js';

const settings = { schedules: { standard: [0, 5_000, 300_000], stage: [0, 1_000] } } as Partial<DispatcherSettings> as DispatcherSettings;
const recorder = new OutcomeRecorder({} as DispatcherDeps, settings, Date.now);
const claimed = (more: Partial<ClaimedDelivery>) => ({ schedule: 'standard', maxAttempts: 3, retryScheduleMs: null, ...more }) as ClaimedDelivery;

describe('the retry policy an attempt follows', () => {
  it('is the one stored with the delivery, whatever the endpoint says now', () => {
    expect(recorder.policyOf(claimed({ retryScheduleMs: [0, 2_000] }), { maxAttempts: 9, backoffSeconds: [600] })).toEqual({ maxAttempts: 3, scheduleMs: [0, 2_000] });
  });

  it("keeps the attempts a redelivery allows (one more than made), not the policy's", () => {
    expect(recorder.policyOf(claimed({ retryScheduleMs: [0, 2_000], maxAttempts: 6 }), null).maxAttempts).toBe(6);
  });

  it('for a delivery created before policies were stored, is resolved from the endpoint and the config as before', () => {
    expect(recorder.policyOf(claimed({}), { maxAttempts: 9, backoffSeconds: [600] })).toEqual({ maxAttempts: 3, scheduleMs: [0, 600_000] });
    expect(recorder.policyOf(claimed({}), null)).toEqual({ maxAttempts: 3, scheduleMs: [0, 5_000, 300_000] });
    expect(recorder.policyOf(claimed({ schedule: 'stage' }), { maxAttempts: 9, backoffSeconds: [600] })).toEqual({ maxAttempts: 3, scheduleMs: [0, 1_000] });
  });
});
