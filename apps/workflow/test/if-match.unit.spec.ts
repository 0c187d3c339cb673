import { describe, expect, it } from '@jest/globals';
import { ValidationFailedError } from '@stagehook/platform';
import { parseIfMatch } from '../src/commands/shared/if-match.js';

describe('If-Match', () => {
  it('reads a bare, quoted or weak version', () => {
    expect(parseIfMatch('7')).toBe(7);
    expect(parseIfMatch('"12"')).toBe(12);
    expect(parseIfMatch('W/"3"')).toBe(3);
    expect(parseIfMatch(undefined)).toBeUndefined();
  });

  it('refuses anything else, naming the header', () => {
    expect(() => parseIfMatch('*')).toThrow(ValidationFailedError);
    expect(() => parseIfMatch('"abc"')).toThrow(/If-Match/);
  });
});
