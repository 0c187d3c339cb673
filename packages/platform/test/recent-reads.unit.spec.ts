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

  it('shares one read among the gets that miss while it is under way (no burst of reads when an answer expires)', async () => {
    const recent = new RecentReads<string>(1_000, 10);
    let reads = 0;
    let release: (v: string) => void = () => undefined;
    const load = () => {
      reads++;
      return new Promise<string>((r) => (release = r));
    };
    const gets = Array.from({ length: 50 }, (_, i) => recent.get('endpoint', load, i));
    expect(reads).toBe(1);
    release('answer');
    expect(await Promise.all(gets)).toEqual(gets.map(() => 'answer'));
    expect(reads).toBe(1);
    // A failed read is shared too, and not kept: the next get reads again.
    const failing = [0, 1].map(() => recent.get('other', () => (reads++, Promise.reject(new Error('down'))), 0));
    await expect(Promise.all(failing)).rejects.toThrow('down');
    expect(reads).toBe(2);
    expect(await recent.get('other', async () => 'up', 1)).toBe('up');
  });

  it('a get after a delete does not join a read begun before it', async () => {
    const recent = new RecentReads<string>(1_000, 10);
    let release: (v: string) => void = () => undefined;
    const before = recent.get('project', () => new Promise<string>((r) => (release = r)), 0);
    recent.delete('project');
    const after = recent.get('project', async () => 'new name', 1);
    release('old name');
    expect(await before).toBe('old name');
    expect(await after).toBe('new name');
  });

  it('does not keep a read that was under way when the key was deleted (a change it may have missed)', async () => {
    const recent = new RecentReads<string>(1_000, 10);
    let release: (v: string) => void = () => undefined;
    const slow = recent.get('project', () => new Promise<string>((r) => (release = r)), 0);
    // The rename commits and forgets the name while the old one is being read.
    recent.delete('project');
    release('old name');
    expect(await slow).toBe('old name');
    expect(await recent.get('project', async () => 'new name', 1)).toBe('new name');
  });
});
