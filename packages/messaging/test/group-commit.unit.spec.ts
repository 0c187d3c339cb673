import { describe, expect, it } from '@jest/globals';
import { GroupCommit } from '../src/group-commit.js';

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('GroupCommit', () => {
  it('flushes a lone item at once, and what arrives during a flush together in the next one', async () => {
    const batches: number[][] = [];
    const gate = deferred<void>();
    const gc = new GroupCommit<number, number>(async (items) => {
      batches.push(items);
      if (batches.length === 1) await gate.promise;
      return items.map((i) => i * 10);
    }, 100);
    const first = gc.submit(1);
    const rest = [2, 3, 4].map((i) => gc.submit(i));
    expect(batches).toEqual([[1]]);
    gate.resolve();
    expect(await first).toBe(10);
    expect(await Promise.all(rest)).toEqual([20, 30, 40]);
    expect(batches).toEqual([[1], [2, 3, 4]]);
  });

  it('caps a batch at maxBatch', async () => {
    const sizes: number[] = [];
    const gate = deferred<void>();
    const gc = new GroupCommit<number, number>(async (items) => {
      sizes.push(items.length);
      if (sizes.length === 1) await gate.promise;
      return items;
    }, 2);
    const all = [0, 1, 2, 3, 4].map((i) => gc.submit(i));
    gate.resolve();
    expect(await Promise.all(all)).toEqual([0, 1, 2, 3, 4]);
    expect(sizes).toEqual([1, 2, 2]);
  });

  it('flushes a failed batch again item by item, so only the bad item fails', async () => {
    const gate = deferred<void>();
    let calls = 0;
    const gc = new GroupCommit<number, string>(async (items) => {
      if (calls++ === 0) await gate.promise;
      if (items.includes(13)) throw new Error('bad item 13');
      return items.map(String);
    }, 10);
    const first = gc.submit(1);
    const batch = [12, 13, 14].map((i) => gc.submit(i));
    gate.resolve();
    await expect(first).resolves.toBe('1');
    const settled = await Promise.allSettled(batch);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((settled[1] as PromiseRejectedResult).reason).toEqual(new Error('bad item 13'));
  });
});

describe('GroupCommit with parallel flushes', () => {
  it('runs up to `parallel` flushes at once and batches the rest behind them', async () => {
    const gates = [deferred<void>(), deferred<void>()];
    const batches: number[][] = [];
    let running = 0;
    let most = 0;
    const gc = new GroupCommit<number, number>(
      async (items) => {
        batches.push(items);
        running++;
        most = Math.max(most, running);
        const gate = gates[batches.length - 1];
        if (gate) await gate.promise;
        running--;
        return items;
      },
      100,
      2,
    );
    const all = [1, 2, 3, 4, 5].map((i) => gc.submit(i));
    expect(batches).toEqual([[1], [2]]);
    gates[0].resolve();
    gates[1].resolve();
    expect(await Promise.all(all)).toEqual([1, 2, 3, 4, 5]);
    expect(batches.slice(2)).toEqual([[3, 4, 5]]);
    expect(most).toBe(2);
  });
});
