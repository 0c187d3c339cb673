// .tsx: jest runs every *.unit.spec.ts in the package (the server's); the web tests are Vitest's.
import { describe, expect, it } from 'vitest';
import { describeOutcome, payloadPreview } from './DeadLetters';

describe('dead letters page', () => {
  it('says what each replay outcome means, with the new reason when it failed again', () => {
    expect(describeOutcome({ outcome: 'handled', reason: 'old' })).toContain('ran it and committed');
    expect(describeOutcome({ outcome: 'already-handled', reason: 'old' })).toContain('nothing ran again');
    expect(describeOutcome({ outcome: 'dead-lettered-again', reason: 'data.itemId must be a string' })).toBe('dead-lettered again: data.itemId must be a string');
    expect(describeOutcome({ outcome: 'dead-lettered-again', reason: 'x'.repeat(1000) }).length).toBeLessThan(300);
  });

  it('previews a JSON payload pretty-printed, anything else as it came, and says when the stored copy was cut', () => {
    expect(payloadPreview({ payload: '{"a":1}', payloadEncoding: 'utf8', payloadTruncated: false, payloadBytes: 7 })).toBe('{\n  "a": 1\n}');
    expect(payloadPreview({ payload: 'not json at all', payloadEncoding: 'utf8', payloadTruncated: false, payloadBytes: 15 })).toBe('not json at all');
    expect(payloadPreview({ payload: 'AAEC', payloadEncoding: 'base64', payloadTruncated: true, payloadBytes: 3 })).toMatch(
      /^\(binary, 3 bytes, base64\)\nAAEC\n\(stored copy truncated/,
    );
    expect(payloadPreview({ payload: 'y'.repeat(10_000), payloadEncoding: 'utf8', payloadTruncated: false, payloadBytes: 10_000 }).length).toBeLessThan(4100);
  });
});
