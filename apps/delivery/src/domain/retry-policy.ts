/**
 * What happens after an attempt: pure, the clock and the random source come in as arguments.
 * Numbers follow Svix (docs/research: webhook-delivery-anchors.md §2): 8 attempts at
 * 0, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h with ±20 % jitter; webhook stages use a short
 * schedule so an item waits seconds, not hours, before its stage routes through `failed`.
 */

/** Delays before attempt 1, 2, …, in ms. The first is normally 0; the last repeats. */
export type Schedule = readonly number[];

export const STANDARD_SCHEDULE_MS: Schedule = [0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];
/** V7-like: 5 quick attempts, then the stage's `failed` edge. */
export const STAGE_SCHEDULE_MS: Schedule = [0, 1_000, 2_000, 4_000, 8_000];
export const JITTER = 0.2;

/** The result of one HTTP attempt as the policy needs it. */
export type AttemptResult =
  | { kind: 'response'; statusCode: number; retryAfter: string | undefined }
  /** No response: refused, reset, timed out, unsafe address. */
  | { kind: 'error'; error: string; timedOut: boolean };

export type NextStep =
  | { kind: 'delivered' }
  /** Final failure of this delivery. `disableEndpoint` for 410 Gone. */
  | { kind: 'failed'; disableEndpoint: boolean }
  | { kind: 'retry'; delayMs: number };

export interface PolicyInput {
  result: AttemptResult;
  /** Attempts made so far, this one included (1 after the first). */
  attempts: number;
  maxAttempts: number;
  schedule: Schedule;
  /** Upper bound on a receiver's Retry-After. */
  retryAfterMaxMs: number;
  now: number;
  /** In [0, 1). */
  random: number;
}

export function isSuccess(statusCode: number): boolean {
  return statusCode >= 200 && statusCode < 300;
}

/** Delay before attempt `n + 1` when `n` attempts have been made; the last entry repeats. */
export function scheduledDelay(schedule: Schedule, attemptsMade: number): number {
  if (schedule.length === 0) return 0;
  return schedule[Math.min(attemptsMade, schedule.length - 1)];
}

export function withJitter(delayMs: number, random: number): number {
  return Math.round(delayMs * (1 - JITTER + 2 * JITTER * random));
}

/** Retry-After is seconds or an HTTP date; anything else is ignored. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

export function nextStep(p: PolicyInput): NextStep {
  const { result } = p;
  if (result.kind === 'response' && isSuccess(result.statusCode)) return { kind: 'delivered' };
  // Standard Webhooks: 410 Gone means the receiver wants no more; retrying is pointless.
  if (result.kind === 'response' && result.statusCode === 410) return { kind: 'failed', disableEndpoint: true };
  if (p.attempts >= p.maxAttempts) return { kind: 'failed', disableEndpoint: false };
  const scheduled = withJitter(scheduledDelay(p.schedule, p.attempts), p.random);
  if (result.kind === 'response' && (result.statusCode === 429 || result.statusCode === 503)) {
    const asked = parseRetryAfter(result.retryAfter, p.now);
    // Honour the receiver's pace up to a bound (a hostile or buggy Retry-After must not park a
    // delivery for a year), but never sooner than the schedule: the cap bounds what is asked,
    // not the schedule itself.
    if (asked !== undefined) return { kind: 'retry', delayMs: Math.max(scheduled, Math.min(asked, p.retryAfterMaxMs)) };
  }
  return { kind: 'retry', delayMs: scheduled };
}

/**
 * A delivery's retry policy, resolved once when the delivery is created and stored with it: a
 * later change to the endpoint's override or to the configured schedules applies to deliveries
 * created after it, never to one halfway through its schedule.
 */
export interface RetryPolicy {
  maxAttempts: number;
  scheduleMs: Schedule;
}

/** The configured schedules (RETRY_SCHEDULE_MS, STAGE_RETRY_SCHEDULE_MS); their lengths are the default attempt counts. */
export interface RetryDefaults {
  standard: Schedule;
  stage: Schedule;
}

/** An endpoint's override (the registry's RetryPolicyData). */
export interface EndpointRetryOverride {
  maxAttempts: number;
  /** Delays before attempt 2, 3, … in seconds. */
  backoffSeconds?: number[];
}

/**
 * Which policy a new delivery gets. A webhook stage's own max attempts come first, then the
 * endpoint's, then the configured schedule's length. The endpoint's backoff applies to event
 * subscriptions only: a stage keeps its short schedule so the item routes on within seconds.
 */
export function resolveRetryPolicy(
  kind: 'standard' | 'stage',
  defaults: RetryDefaults,
  endpoint: EndpointRetryOverride | null | undefined,
  stageMaxAttempts?: number,
): RetryPolicy {
  const schedule = defaults[kind];
  if (kind === 'stage') return { maxAttempts: stageMaxAttempts ?? endpoint?.maxAttempts ?? schedule.length, scheduleMs: schedule };
  return {
    maxAttempts: endpoint?.maxAttempts ?? schedule.length,
    scheduleMs: endpoint?.backoffSeconds?.length ? [0, ...endpoint.backoffSeconds.map((sec) => sec * 1000)] : schedule,
  };
}
