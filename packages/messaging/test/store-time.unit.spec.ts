import { describe, expect, it } from '@jest/globals';
import { storeTime } from '../src/consumer/message.js';
import { replayMsg } from '../src/consumer/replay.js';

describe('storeTime', () => {
  it('gives a replayed message exactly the store time its dead-letter row recorded', () => {
    // Every millisecond of a realistic second, including those whose ms × 10⁶ is not a double.
    const base = Date.parse('2026-11-30T20:00:00.000Z');
    for (let ms = base; ms < base + 1000; ms++) {
      const msg = replayMsg({ data: new Uint8Array(), subject: 's', streamSeq: 1, storedAt: new Date(ms), headers: {} }, 3, () => undefined);
      expect(storeTime(msg).getTime()).toBe(ms);
    }
  });
});
