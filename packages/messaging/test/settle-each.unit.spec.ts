import { describe, expect, it } from '@jest/globals';
import { settleEach } from '../src/index.js';

describe('settleEach', () => {
  it('returns every result in order', async () => {
    expect(await settleEach([3, 1, 2], async (n) => n * 2)).toEqual([6, 2, 4]);
  });

  it('waits for every item to settle before throwing the first failure', async () => {
    const finished: number[] = [];
    const work = (n: number) =>
      new Promise<number>((resolve, reject) =>
        setTimeout(() => {
          finished.push(n);
          if (n === 1) reject(new Error('item 1 failed'));
          else resolve(n);
        }, n * 5),
      );
    await expect(settleEach([3, 1, 2], work)).rejects.toThrow('item 1 failed');
    // The slowest (3) had finished too: nothing still runs on the batch's connection.
    expect(finished.sort()).toEqual([1, 2, 3]);
  });
});
