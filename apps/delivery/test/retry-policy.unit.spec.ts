import { describe, expect, it } from '@jest/globals';
import {
  STAGE_SCHEDULE_MS,
  STANDARD_SCHEDULE_MS,
  nextStep,
  parseRetryAfter,
  resolveRetryPolicy,
  scheduledDelay,
  withJitter,
  type PolicyInput,
} from '../src/domain/retry-policy.js';

const base: PolicyInput = {
  result: { kind: 'response', statusCode: 500, retryAfter: undefined },
  attempts: 1,
  maxAttempts: 5,
  schedule: STAGE_SCHEDULE_MS,
  retryAfterMaxMs: 60_000,
  now: Date.parse('2026-01-01T00:00:00Z'),
  random: 0.5,
};

describe('retry policy', () => {
  it('treats any 2xx as delivered', () => {
    for (const statusCode of [200, 201, 204, 299]) {
      expect(nextStep({ ...base, result: { kind: 'response', statusCode, retryAfter: undefined } })).toEqual({ kind: 'delivered' });
    }
  });

  it('fails and disables the endpoint on 410 Gone even with attempts left', () => {
    expect(nextStep({ ...base, result: { kind: 'response', statusCode: 410, retryAfter: undefined } })).toEqual({ kind: 'failed', disableEndpoint: true });
  });

  it('retries a 500 on the schedule, without jitter at the midpoint', () => {
    expect(nextStep(base)).toEqual({ kind: 'retry', delayMs: 1_000 });
    expect(nextStep({ ...base, attempts: 3 })).toEqual({ kind: 'retry', delayMs: 4_000 });
  });

  it('never lets a Retry-After shorten the schedule, even above the cap', () => {
    // Attempt 4 of the standard schedule waits 2 h; a 429 asking for 3 h with a 1 h cap keeps 2 h.
    const late = { ...base, schedule: STANDARD_SCHEDULE_MS, maxAttempts: 8, attempts: 4, retryAfterMaxMs: 3_600_000 };
    expect(nextStep({ ...late, result: { kind: 'response', statusCode: 429, retryAfter: String(3 * 3600) } })).toEqual({ kind: 'retry', delayMs: 7_200_000 });
    // Below the schedule the schedule wins; between schedule and cap the receiver's pace wins.
    expect(nextStep({ ...base, result: { kind: 'response', statusCode: 503, retryAfter: '0' } })).toEqual({ kind: 'retry', delayMs: 1_000 });
    expect(nextStep({ ...base, result: { kind: 'response', statusCode: 429, retryAfter: '30' } })).toEqual({ kind: 'retry', delayMs: 30_000 });
    expect(nextStep({ ...base, result: { kind: 'response', statusCode: 429, retryAfter: '3600' } })).toEqual({ kind: 'retry', delayMs: 60_000 });
  });

  it('treats a 3xx as a failure (redirects are not followed)', () => {
    expect(nextStep({ ...base, result: { kind: 'response', statusCode: 302, retryAfter: undefined } }).kind).toBe('retry');
  });

  it('fails after the last attempt', () => {
    expect(nextStep({ ...base, attempts: 5 })).toEqual({ kind: 'failed', disableEndpoint: false });
    expect(nextStep({ ...base, attempts: 5, result: { kind: 'error', error: 'timed out', timedOut: true } })).toEqual({ kind: 'failed', disableEndpoint: false });
  });

  it('jitters ±20 %', () => {
    expect(withJitter(10_000, 0)).toBe(8_000);
    expect(withJitter(10_000, 0.999999)).toBe(12_000);
  });

  it('follows the Svix schedule and repeats its last delay', () => {
    expect(STANDARD_SCHEDULE_MS.map((_, i) => scheduledDelay(STANDARD_SCHEDULE_MS, i))).toEqual([0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]);
    expect(scheduledDelay(STANDARD_SCHEDULE_MS, 20)).toBe(36_000_000);
  });

  it('honours Retry-After on 429 and 503, bounded below by the schedule and above by the maximum', () => {
    const r = (statusCode: number, retryAfter: string) => nextStep({ ...base, result: { kind: 'response', statusCode, retryAfter } });
    expect(r(429, '3')).toEqual({ kind: 'retry', delayMs: 3_000 });
    expect(r(503, '0')).toEqual({ kind: 'retry', delayMs: 1_000 });
    expect(r(429, '86400')).toEqual({ kind: 'retry', delayMs: 60_000 });
    // Only 429/503 carry a meaningful Retry-After here.
    expect(r(500, '30')).toEqual({ kind: 'retry', delayMs: 1_000 });
  });

  it('parses Retry-After as seconds or an HTTP date, ignoring garbage', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});

describe("resolving a new delivery's retry policy", () => {
  const defaults = { standard: [0, 5_000, 300_000], stage: [0, 1_000] };

  it('gives an event subscription the configured schedule, its length the attempts', () => {
    expect(resolveRetryPolicy('standard', defaults, null)).toEqual({ maxAttempts: 3, scheduleMs: [0, 5_000, 300_000] });
  });

  it("takes an endpoint's attempts and backoff (seconds, before attempt 2 on) for its subscriptions", () => {
    expect(resolveRetryPolicy('standard', defaults, { maxAttempts: 4, backoffSeconds: [2, 30] })).toEqual({ maxAttempts: 4, scheduleMs: [0, 2_000, 30_000] });
    expect(resolveRetryPolicy('standard', defaults, { maxAttempts: 4, backoffSeconds: [] })).toEqual({ maxAttempts: 4, scheduleMs: [0, 5_000, 300_000] });
  });

  it("keeps a stage's short schedule whatever the endpoint's backoff; the stage's attempts come before the endpoint's", () => {
    const ep = { maxAttempts: 7, backoffSeconds: [600] };
    expect(resolveRetryPolicy('stage', defaults, ep)).toEqual({ maxAttempts: 7, scheduleMs: [0, 1_000] });
    expect(resolveRetryPolicy('stage', defaults, ep, 2)).toEqual({ maxAttempts: 2, scheduleMs: [0, 1_000] });
    expect(resolveRetryPolicy('stage', defaults, null)).toEqual({ maxAttempts: 2, scheduleMs: [0, 1_000] });
  });
});
