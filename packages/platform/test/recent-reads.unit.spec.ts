import { describe, expect, it } from '@jest/globals';
import { RecentReads } from '../src/index.js';

describe('RecentReads', () => {
  it('answers a read made within its time, then reads again', async () => {
    const recent = new RecentReads<number>(1_000, 10);
    let reads = 0;
    const load = async () => ++reads;
    expect(await recent.get('k', load, 0)).toBe(1);
    expect(await recent.get('k', load, 999)).toBe(1);
    expect(await recent.get('k', load, 1_000)).toBe(2);
  });

  it('reads again after delete or clear, and drops every key once full', async () => {
    const recent = new RecentReads<string>(1_000, 2);
    let reads = 0;
    const load = async () => `r${++reads}`;
    await recent.get('a', load, 0);
    recent.delete('a');
    expect(await recent.get('a', load, 1)).toBe('r2');
    recent.clear();
    expect(await recent.get('a', load, 2)).toBe('r3');
    await recent.get('b', load, 3);
    // Full (a, b): reading c drops both.
    await recent.get('c', load, 4);
    expect(await recent.get('a', load, 5)).toBe('r6');
  });
});
