import { createHmac } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { keyIdFor, mintProjectToken, ProjectTokenVerifier, tokenScopes, verifyProjectToken } from '../src/auth/token.js';

const SECRET_A = 'a'.repeat(16) + 'first-signing-key-0123456789';
const SECRET_B = 'b'.repeat(16) + 'second-signing-key-0123456789';
const NOW = new Date('2026-03-01T12:00:00Z');
const at = (offsetSeconds: number) => new Date(NOW.getTime() + offsetSeconds * 1000);

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const decode = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
function signRaw(header: unknown, payload: unknown, secret: string): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

describe('project tokens', () => {
  it('round-trips the project id and the claims', () => {
    const token = mintProjectToken({ projectId: 'proj-1', secret: SECRET_A, ttlSeconds: 600, now: NOW, jti: 'jti-1' });
    const result = verifyProjectToken(token, [SECRET_A], at(10));
    expect(result).toEqual({
      ok: true,
      claims: { sub: 'proj-1', iat: NOW.getTime() / 1000, exp: NOW.getTime() / 1000 + 600, jti: 'jti-1', kid: keyIdFor(SECRET_A) },
    });
    const [h] = token.split('.');
    expect(decode(h)).toEqual({ alg: 'HS256', typ: 'JWT', kid: keyIdFor(SECRET_A) });
  });

  it('carries the actor (user or service) beside the project, and old tokens without one stay valid', () => {
    const actor = { kind: 'user' as const, id: 'u-42', name: 'Ada Lovelace', email: 'ada@example.com' };
    const token = mintProjectToken({ projectId: 'proj-1', secret: SECRET_A, ttlSeconds: 600, now: NOW, actor });
    expect(verifyProjectToken(token, [SECRET_A], NOW)).toMatchObject({ ok: true, claims: { sub: 'proj-1', act: actor } });
    // A token minted before actors existed: no act claim, still valid, no actor.
    const old = signRaw({ alg: 'HS256', typ: 'JWT' }, { sub: 'proj-1', iat: NOW.getTime() / 1000, exp: NOW.getTime() / 1000 + 60, jti: 'j' }, SECRET_A);
    const r = verifyProjectToken(old, [SECRET_A], NOW);
    expect(r.ok && r.claims.act).toBeUndefined();
    const bad = signRaw({ alg: 'HS256' }, { sub: 'p', iat: NOW.getTime() / 1000, exp: NOW.getTime() / 1000 + 60, jti: 'j', act: { kind: 'admin', id: 'x' } }, SECRET_A);
    expect(verifyProjectToken(bad, [SECRET_A], NOW)).toMatchObject({ ok: false, failure: 'malformed' });
    expect(() => mintProjectToken({ projectId: 'p', secret: SECRET_A, ttlSeconds: 60, actor: { kind: 'service', id: ' bad id' } })).toThrow(RangeError);
  });

  it('carries scopes (publish) and reads none from a token without them', () => {
    const scoped = verifyProjectToken(mintProjectToken({ projectId: 'p1', secret: SECRET_A, ttlSeconds: 60, now: NOW, scopes: ['publish'] }), [SECRET_A], NOW);
    expect(scoped.ok && tokenScopes(scoped.claims)).toEqual(['publish']);
    const plain = verifyProjectToken(mintProjectToken({ projectId: 'p1', secret: SECRET_A, ttlSeconds: 60, now: NOW }), [SECRET_A], NOW);
    expect(plain.ok && tokenScopes(plain.claims)).toEqual([]);
    const bad = signRaw({ alg: 'HS256', typ: 'JWT' }, { sub: 'p1', iat: 1772366400, exp: 1772366460, jti: 'j', scope: 'publish ADMIN' }, SECRET_A);
    expect(verifyProjectToken(bad, [SECRET_A], NOW)).toMatchObject({ ok: false, failure: 'malformed' });
    expect(() => mintProjectToken({ projectId: 'p1', secret: SECRET_A, ttlSeconds: 60, scopes: ['Publish!'] })).toThrow(RangeError);
  });

  it('gives every token its own jti', () => {
    const t1 = mintProjectToken({ projectId: 'p', secret: SECRET_A, ttlSeconds: 60, now: NOW });
    const t2 = mintProjectToken({ projectId: 'p', secret: SECRET_A, ttlSeconds: 60, now: NOW });
    const c1 = verifyProjectToken(t1, [SECRET_A], NOW);
    const c2 = verifyProjectToken(t2, [SECRET_A], NOW);
    expect(c1.ok && c2.ok && c1.claims.jti !== c2.claims.jti).toBe(true);
  });

  it('refuses an expired token', () => {
    const token = mintProjectToken({ projectId: 'p', secret: SECRET_A, ttlSeconds: 60, now: NOW });
    expect(verifyProjectToken(token, [SECRET_A], at(59)).ok).toBe(true);
    expect(verifyProjectToken(token, [SECRET_A], at(60 + 3600))).toMatchObject({ ok: false, failure: 'expired' });
  });

  it('refuses a token issued in the future beyond the clock-skew leeway', () => {
    const token = mintProjectToken({ projectId: 'p', secret: SECRET_A, ttlSeconds: 3600, now: at(600) });
    expect(verifyProjectToken(token, [SECRET_A], NOW)).toMatchObject({ ok: false, failure: 'not_yet_valid' });
    expect(verifyProjectToken(token, [SECRET_A], at(590)).ok).toBe(true);
  });

  it('refuses a token whose nbf is in the future', () => {
    const iat = NOW.getTime() / 1000;
    const token = signRaw({ alg: 'HS256', typ: 'JWT' }, { sub: 'p', iat, exp: iat + 3600, nbf: iat + 600, jti: 'x' }, SECRET_A);
    expect(verifyProjectToken(token, [SECRET_A], NOW)).toMatchObject({ ok: false, failure: 'not_yet_valid' });
  });

  it('refuses a tampered payload (another project id, same signature)', () => {
    const token = mintProjectToken({ projectId: 'proj-1', secret: SECRET_A, ttlSeconds: 600, now: NOW });
    const [h, p, s] = token.split('.') as [string, string, string];
    const tampered = `${h}.${b64({ ...decode(p), sub: 'proj-2' })}.${s}`;
    expect(verifyProjectToken(tampered, [SECRET_A], NOW)).toMatchObject({ ok: false, failure: 'bad_signature' });
  });

  it('refuses a token forged with another secret, even when it is also expired', () => {
    const forged = mintProjectToken({ projectId: 'proj-1', secret: SECRET_B, ttlSeconds: 60, now: at(-7200) });
    expect(verifyProjectToken(forged, [SECRET_A], NOW)).toMatchObject({ ok: false, failure: 'bad_signature' });
  });

  it('refuses alg none, with or without a signature', () => {
    const iat = NOW.getTime() / 1000;
    const payload = b64({ sub: 'p', iat, exp: iat + 600, jti: 'x' });
    for (const alg of ['none', 'None', 'NONE']) {
      expect(verifyProjectToken(`${b64({ alg, typ: 'JWT' })}.${payload}.`, [SECRET_A], NOW)).toMatchObject({ ok: false, failure: 'unsupported_alg' });
    }
    const signed = signRaw({ alg: 'none' }, { sub: 'p', iat, exp: iat + 600, jti: 'x' }, SECRET_A);
    expect(verifyProjectToken(signed, [SECRET_A], NOW)).toMatchObject({ ok: false, failure: 'unsupported_alg' });
  });

  it('refuses other algorithms, even correctly HMAC-signed', () => {
    const iat = NOW.getTime() / 1000;
    for (const alg of ['HS512', 'RS256', 'hs256']) {
      const token = signRaw({ alg, typ: 'JWT' }, { sub: 'p', iat, exp: iat + 600, jti: 'x' }, SECRET_A);
      expect(verifyProjectToken(token, [SECRET_A], NOW)).toMatchObject({ ok: false, failure: 'unsupported_alg' });
    }
  });

  it.each([
    ['empty', ''],
    ['one part', 'abc'],
    ['two parts', 'abc.def'],
    ['four parts', 'a.b.c.d'],
    ['header not JSON', `${Buffer.from('nope').toString('base64url')}.${b64({})}.sig`],
    ['header an array', `${b64([1])}.${b64({})}.sig`],
    ['non-base64url characters', `${b64({ alg: 'HS256' })}.${b64({})}.s+g/=`],
    ['oversized', 'a'.repeat(5000)],
  ])('refuses a malformed token (%s)', (_name, token) => {
    expect(verifyProjectToken(token, [SECRET_A], NOW)).toMatchObject({ ok: false, failure: 'malformed' });
  });

  it('refuses a correctly signed token with unusable claims', () => {
    const iat = NOW.getTime() / 1000;
    const cases = [
      { iat, exp: iat + 60, jti: 'x' },
      { sub: '', iat, exp: iat + 60, jti: 'x' },
      { sub: 'p/../q', iat, exp: iat + 60, jti: 'x' },
      { sub: 'p', iat: 'yesterday', exp: iat + 60, jti: 'x' },
      { sub: 'p', iat, exp: iat - 1, jti: 'x' },
      { sub: 'p', iat, exp: iat + 60 },
    ];
    for (const claims of cases) {
      expect(verifyProjectToken(signRaw({ alg: 'HS256', typ: 'JWT' }, claims, SECRET_A), [SECRET_A], NOW)).toMatchObject({
        ok: false,
        failure: 'malformed',
      });
    }
  });

  it('verifies a token signed with the second secret during a rotation', () => {
    // New key first (it signs from now on); the old one still verifies tokens minted before.
    const oldToken = mintProjectToken({ projectId: 'p', secret: SECRET_B, ttlSeconds: 600, now: NOW });
    const result = verifyProjectToken(oldToken, [SECRET_A, SECRET_B], NOW);
    expect(result).toMatchObject({ ok: true, claims: { sub: 'p', kid: keyIdFor(SECRET_B) } });
    expect(verifyProjectToken(oldToken, [SECRET_A], NOW)).toMatchObject({ ok: false, failure: 'bad_signature' });
  });

  it('verifies a token whose kid was chosen at mint time', () => {
    const token = mintProjectToken({ projectId: 'p', secret: SECRET_B, ttlSeconds: 600, now: NOW, kid: '2026-03' });
    expect(verifyProjectToken(token, [SECRET_A, SECRET_B], NOW)).toMatchObject({ ok: true, claims: { kid: '2026-03' } });
  });

  it('refuses to mint with a bad project id or ttl', () => {
    expect(() => mintProjectToken({ projectId: '', secret: SECRET_A, ttlSeconds: 60 })).toThrow(RangeError);
    expect(() => mintProjectToken({ projectId: 'p q', secret: SECRET_A, ttlSeconds: 60 })).toThrow(RangeError);
    expect(() => mintProjectToken({ projectId: 'p', secret: SECRET_A, ttlSeconds: 0 })).toThrow(RangeError);
    expect(() => mintProjectToken({ projectId: 'p', secret: SECRET_A, ttlSeconds: 1.5 })).toThrow(RangeError);
  });
});

describe('ProjectTokenVerifier (the guard’s remembered verifications)', () => {
  const token = mintProjectToken({ projectId: 'proj-1', secret: SECRET_A, ttlSeconds: 600, now: NOW, jti: 'jti-v' });

  it('answers a token it has seen as verifyProjectToken does, and still judges it by the clock each time', () => {
    const v = new ProjectTokenVerifier([SECRET_A]);
    expect(v.verify(token, at(10))).toEqual(verifyProjectToken(token, [SECRET_A], at(10)));
    expect(v.verify(token, at(20))).toMatchObject({ ok: true, claims: { sub: 'proj-1', jti: 'jti-v' } });
    // Remembered, and expired all the same once its time is up (600 s plus the 30 s leeway).
    expect(v.verify(token, at(630))).toMatchObject({ ok: false, failure: 'expired' });
    expect(v.verify(token, at(-31))).toMatchObject({ ok: false, failure: 'not_yet_valid' });
  });

  it('checks every other string in full: a changed signature or payload of a remembered token is refused', () => {
    const v = new ProjectTokenVerifier([SECRET_A]);
    expect(v.verify(token, NOW).ok).toBe(true);
    const [h, p, s] = token.split('.');
    const flipped = `${h}.${p}.${s.slice(0, -2)}${s.endsWith('AA') ? 'AB' : 'AA'}`;
    expect(v.verify(flipped, NOW)).toMatchObject({ ok: false, failure: 'bad_signature' });
    const otherProject = `${h}.${b64({ ...decode(p), sub: 'proj-2' })}.${s}`;
    expect(v.verify(otherProject, NOW)).toMatchObject({ ok: false, failure: 'bad_signature' });
    // A verifier with other keys shares nothing with this one.
    expect(new ProjectTokenVerifier([SECRET_B]).verify(token, NOW)).toMatchObject({ ok: false, failure: 'bad_signature' });
  });

  it('keeps at most its capacity, dropping the token seen least recently, and hands out claims no caller can change', () => {
    const v = new ProjectTokenVerifier([SECRET_A], 2);
    const tokens = ['a', 'b', 'c'].map((jti) => mintProjectToken({ projectId: 'p', secret: SECRET_A, ttlSeconds: 60, now: NOW, jti }));
    const remembered = (v as unknown as { signed: Map<string, unknown> }).signed;
    v.verify(tokens[0], NOW);
    v.verify(tokens[1], NOW);
    v.verify(tokens[0], NOW);
    v.verify(tokens[2], NOW);
    expect([...remembered.keys()]).toEqual([tokens[0], tokens[2]]);
    const r = v.verify(tokens[0], NOW);
    expect(r.ok && Object.isFrozen(r.claims)).toBe(true);
  });
});
