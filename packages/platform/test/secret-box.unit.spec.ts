import { randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { fromCompact, isValidKeyring, maskSecret, parseKeyring, SecretBox, SecretBoxError, toCompact } from '../src/security/secret-box.js';

const k1 = randomBytes(32);
const k0 = randomBytes(32);
const PLAIN = 'whsec_c2VjcmV0LXZhbHVlLXRoYXQtbXVzdC1zdGF5LWhpZGRlbg';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SecretBoxError);
    expect(String((e as Error).message)).not.toContain(PLAIN);
    return (e as SecretBoxError).code;
  }
  throw new Error('expected a SecretBoxError');
}

describe('SecretBox', () => {
  const box = new SecretBox([['k1', k1]]);

  it('round-trips and never leaves the plaintext in the sealed form', () => {
    const sealed = box.seal(PLAIN);
    expect(sealed.kid).toBe('k1');
    expect(JSON.stringify(sealed)).not.toContain(PLAIN);
    expect(JSON.stringify(sealed)).not.toContain(Buffer.from(PLAIN).toString('base64'));
    expect(box.open(sealed)).toBe(PLAIN);
  });

  it('uses a fresh iv each time', () => {
    expect(box.seal(PLAIN).ct).not.toBe(box.seal(PLAIN).ct);
  });

  it('detects a tampered ciphertext, tag or iv', () => {
    const sealed = box.seal(PLAIN);
    const flip = (b64: string) => {
      const b = Buffer.from(b64, 'base64');
      b[0] ^= 1;
      return b.toString('base64');
    };
    expect(codeOf(() => box.open({ ...sealed, ct: flip(sealed.ct) }))).toBe('tampered');
    expect(codeOf(() => box.open({ ...sealed, tag: flip(sealed.tag) }))).toBe('tampered');
    expect(codeOf(() => box.open({ ...sealed, iv: flip(sealed.iv) }))).toBe('tampered');
    expect(codeOf(() => box.open({ ...sealed, tag: '' }))).toBe('malformed');
  });

  it('binds to associated data when given', () => {
    const sealed = box.seal(PLAIN, 'endpoint-1');
    expect(box.open(sealed, 'endpoint-1')).toBe(PLAIN);
    expect(codeOf(() => box.open(sealed, 'endpoint-2'))).toBe('tampered');
  });

  it('refuses an unknown kid', () => {
    const other = new SecretBox([['k9', randomBytes(32)]]);
    expect(codeOf(() => box.open(other.seal(PLAIN)))).toBe('unknown_kid');
  });

  it('refuses a value sealed with a different key under the same kid', () => {
    const impostor = new SecretBox([['k1', randomBytes(32)]]);
    expect(codeOf(() => box.open(impostor.seal(PLAIN)))).toBe('tampered');
  });

  it('rotates the key: the first key seals, older keys still open, reseal moves to the new key', () => {
    const old = new SecretBox([['k0', k0]]);
    const sealedOld = old.seal(PLAIN);
    const rotated = new SecretBox([
      ['k1', k1],
      ['k0', k0],
    ]);
    expect(rotated.open(sealedOld)).toBe(PLAIN);
    expect(rotated.seal(PLAIN).kid).toBe('k1');
    expect(rotated.needsReseal(sealedOld)).toBe(true);
    const resealed = rotated.reseal(sealedOld);
    expect(resealed.kid).toBe('k1');
    expect(new SecretBox([['k1', k1]]).open(resealed)).toBe(PLAIN);
  });

  it('round-trips the compact form', () => {
    const compact = box.sealCompact(PLAIN);
    expect(compact.split('.')).toHaveLength(4);
    expect(box.openCompact(compact)).toBe(PLAIN);
    expect(fromCompact(toCompact(box.seal('x')))).toMatchObject({ kid: 'k1' });
    expect(codeOf(() => box.openCompact('k1.abc'))).toBe('malformed');
  });
});

describe('keyring config', () => {
  it('parses kid:base64 pairs in order', () => {
    const value = `k1:${k1.toString('base64')}, k0:${k0.toString('base64url')}`;
    const ring = parseKeyring(value);
    expect(ring.map(([kid]) => kid)).toEqual(['k1', 'k0']);
    expect(ring[1][1].equals(k0)).toBe(true);
    expect(SecretBox.fromConfig(value).sealingKid).toBe('k1');
    expect(isValidKeyring(value)).toBe(true);
  });

  it.each([
    ['', 'at least'],
    ['k1', 'kid:'],
    [`k1:${randomBytes(16).toString('base64')}`, '32 bytes'],
    ['k1:!!!notbase64', 'not base64'],
    [`bad kid:${k1.toString('base64')}`, 'invalid key id'],
  ])('refuses %j without echoing key material', (value, fragment) => {
    let message = '';
    try {
      SecretBox.fromConfig(value);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain(fragment === 'at least' ? 'expected' : fragment);
    expect(isValidKeyring(value)).toBe(false);
    const material = value.split(':')[1];
    if (material && material.length > 8) expect(message).not.toContain(material);
  });

  it('refuses duplicate kids', () => {
    expect(() => SecretBox.fromConfig(`k1:${k1.toString('base64')},k1:${k0.toString('base64')}`)).toThrow('duplicate');
  });
});

describe('maskSecret', () => {
  it('shows only the prefix and the last characters', () => {
    expect(maskSecret(PLAIN)).toBe(`whsec_…${PLAIN.slice(-4)}`);
    expect(maskSecret('Bearer abcdefghijklmnopqrstuvwxyz')).toBe('…wxyz');
    expect(maskSecret('short')).toBe('…');
  });
});
