import { describe, expect, it } from '@jest/globals';
import { KeyedScheduler } from '../src/scheduler.js';

interface Job {
  key: string;
  n: number;
}

/** A scheduler whose jobs finish only when the test says so. */
function harness(concurrency: number) {
  const started: Job[] = [];
  const finishers = new Map<Job, { resolve: () => void; reject: (e: Error) => void }>();
  const errors: unknown[] = [];
  const s = new KeyedScheduler<Job>({
    concurrency,
    run: (job) =>
      new Promise<void>((resolve, reject) => {
        started.push(job);
        finishers.set(job, { resolve, reject });
      }),
    onError: (err) => errors.push(err),
  });
  const job = (key: string, n: number): Job => ({ key, n });
  const push = (...jobs: Job[]) => jobs.forEach((j) => s.push(j.key, j));
  /** Finishes a started job and lets the scheduler react. */
  const finish = async (j: Job, fail?: Error) => {
    const f = finishers.get(j);
    if (!f) throw new Error(`job ${j.key}${j.n} has not started`);
    if (fail) f.reject(fail);
    else f.resolve();
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  const names = () => started.map((j) => `${j.key}${j.n}`);
  return { s, job, push, finish, names, errors, started };
}

describe('KeyedScheduler', () => {
  it('runs items of one key one after another, in push order', async () => {
    const h = harness(4);
    const [a1, a2, a3] = [h.job('a', 1), h.job('a', 2), h.job('a', 3)];
    h.push(a1, a2, a3);
    expect(h.names()).toEqual(['a1']);
    await h.finish(a1);
    expect(h.names()).toEqual(['a1', 'a2']);
    await h.finish(a2);
    await h.finish(a3);
    expect(h.names()).toEqual(['a1', 'a2', 'a3']);
    expect(h.s.size).toBe(0);
  });

  it('runs different keys concurrently, never more than the concurrency', async () => {
    const h = harness(2);
    const [a1, b1, c1] = [h.job('a', 1), h.job('b', 1), h.job('c', 1)];
    h.push(a1, b1, c1);
    expect(h.names()).toEqual(['a1', 'b1']);
    expect(h.s.running).toBe(2);
    expect(h.s.queued).toBe(1);
    await h.finish(b1);
    expect(h.names()).toEqual(['a1', 'b1', 'c1']);
    expect(h.s.running).toBe(2);
  });

  it('keeps a free slot idle rather than start a second item of a busy key', async () => {
    const h = harness(3);
    const [a1, a2] = [h.job('a', 1), h.job('a', 2)];
    h.push(a1, a2);
    expect(h.names()).toEqual(['a1']);
    expect(h.s.running).toBe(1);
    expect(h.s.queued).toBe(1);
  });

  it('serves waiting keys round-robin, so a long backlog on one key does not starve another', async () => {
    const h = harness(1);
    const a = [1, 2, 3].map((n) => h.job('a', n));
    const b1 = h.job('b', 1);
    h.push(a[0], a[1], a[2], b1);
    await h.finish(a[0]);
    // b was waiting before a's second item became ready
    expect(h.names()).toEqual(['a1', 'b1']);
    await h.finish(b1);
    await h.finish(a[1]);
    expect(h.names()).toEqual(['a1', 'b1', 'a2', 'a3']);
  });

  it('reports a failed item and carries on with the next item of its key', async () => {
    const h = harness(1);
    const [a1, a2] = [h.job('a', 1), h.job('a', 2)];
    h.push(a1, a2);
    await h.finish(a1, new Error('boom'));
    expect(h.errors).toEqual([new Error('boom')]);
    expect(h.names()).toEqual(['a1', 'a2']);
  });

  it('survives a run function that throws synchronously', async () => {
    const errors: unknown[] = [];
    const ran: number[] = [];
    const s = new KeyedScheduler<number>({
      concurrency: 1,
      run: (n) => {
        ran.push(n);
        if (n === 1) throw new Error('sync');
        return Promise.resolve();
      },
      onError: (e) => errors.push(e),
    });
    s.push('k', 1);
    s.push('k', 2);
    await s.whenNothingRuns();
    for (let i = 0; i < 5; i++) await Promise.resolve();
    expect(ran).toEqual([1, 2]);
    expect(errors).toHaveLength(1);
    expect(s.size).toBe(0);
  });

  it('takeQueued removes the items not started, in push order, and leaves running ones', async () => {
    const h = harness(2);
    const [a1, a2, b1, b2, c1, a3] = [h.job('a', 1), h.job('a', 2), h.job('b', 1), h.job('b', 2), h.job('c', 1), h.job('a', 3)];
    h.push(a1, a2, b1, b2, c1, a3);
    expect(h.names()).toEqual(['a1', 'b1']);
    const taken = h.s.takeQueued();
    expect(taken.map((j) => `${j.key}${j.n}`)).toEqual(['a2', 'b2', 'c1', 'a3']);
    expect(h.s.queued).toBe(0);
    expect(h.s.running).toBe(2);
    await h.finish(a1);
    await h.finish(b1);
    // nothing taken was started afterwards
    expect(h.names()).toEqual(['a1', 'b1']);
    expect(h.s.size).toBe(0);
  });

  it('held() lists running and queued items', () => {
    const h = harness(1);
    const [a1, a2, b1] = [h.job('a', 1), h.job('a', 2), h.job('b', 1)];
    h.push(a1, a2, b1);
    expect(new Set(h.s.held())).toEqual(new Set([a1, a2, b1]));
  });

  it('waitForSizeAtMost resolves once enough items have finished', async () => {
    const h = harness(2);
    const jobs = [h.job('a', 1), h.job('b', 1), h.job('c', 1)];
    h.push(...jobs);
    let resolved = false;
    const waiting = h.s.waitForSizeAtMost(1).then(() => (resolved = true));
    await h.finish(jobs[0]);
    expect(resolved).toBe(false);
    await h.finish(jobs[1]);
    await waiting;
    expect(h.s.size).toBe(1);
  });

  it('a wait ends early when its signal aborts', async () => {
    const h = harness(1);
    h.push(h.job('a', 1));
    const ac = new AbortController();
    const waiting = h.s.whenNothingRuns(ac.signal);
    ac.abort();
    await waiting;
    expect(h.s.running).toBe(1);
  });

  it('whenNothingRuns resolves once running items finish, ignoring queued ones taken away', async () => {
    const h = harness(1);
    const [a1, a2] = [h.job('a', 1), h.job('a', 2)];
    h.push(a1, a2);
    h.s.takeQueued();
    let done = false;
    const waiting = h.s.whenNothingRuns().then(() => (done = true));
    await Promise.resolve();
    expect(done).toBe(false);
    await h.finish(a1);
    await waiting;
    expect(h.names()).toEqual(['a1']);
  });

  it('keeps per-key order under random completion times with many keys', async () => {
    const seen = new Map<string, number[]>();
    let running = 0;
    let maxRunning = 0;
    const s = new KeyedScheduler<{ key: string; n: number }>({
      concurrency: 3,
      run: async ({ key, n }) => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await new Promise((r) => setTimeout(r, Math.random() * 3));
        seen.set(key, [...(seen.get(key) ?? []), n]);
        running--;
      },
    });
    for (let n = 0; n < 30; n++) for (const key of ['a', 'b', 'c', 'd', 'e']) s.push(key, { key, n });
    await s.waitForSizeAtMost(0);
    const expected = Array.from({ length: 30 }, (_, i) => i);
    for (const key of ['a', 'b', 'c', 'd', 'e']) expect(seen.get(key)).toEqual(expected);
    expect(maxRunning).toBe(3);
  });

  it('refuses a concurrency below one', () => {
    expect(() => new KeyedScheduler({ concurrency: 0, run: () => Promise.resolve() })).toThrow(/concurrency/);
  });
});
