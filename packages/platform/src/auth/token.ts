import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';

/**
 * Who acts with a token, besides the project it opens: a person (whose name and email become
 * Darwin annotators) or a service. Tokens minted before actors existed carry none and stay valid.
 */
export interface TokenActor {
  kind: 'user' | 'service';
  /** A user or service id, as the issuer knows it. */
  id: string;
  name?: string;
  email?: string;
}

export const ACTOR_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;

/**
 * Project-scoped bearer tokens: compact JWS (RFC 7515) with HS256 only, built on node:crypto.
 * A token grants access to one project's resources, named by `sub`, optionally on behalf of an
 * actor (`act`, a private claim).
 */
export interface ProjectTokenClaims {
  /** The project id. */
  sub: string;
  /** Issued at, seconds since the epoch. */
  iat: number;
  /** Expires at, seconds since the epoch. */
  exp: number;
  /** Unique token id, for audit and future revocation lists. */
  jti: string;
  /** Which signing key minted it. */
  kid: string;
  /** Who acts with it; absent on project-only tokens. */
  act?: TokenActor;
  /**
   * Extra permissions (RFC 8693 style, space-separated), e.g. `publish` to send events with
   * `POST /events`. Absent on tokens that only manage the project's resources.
   */
  scope?: string;
}

/** One scope name; a token's `scope` is these, space-separated. */
export const SCOPE_PATTERN = /^[a-z][a-z0-9:_-]{0,63}$/;

/** The scopes a token carries (none when it has no `scope` claim). */
export function tokenScopes(claims: Pick<ProjectTokenClaims, 'scope'>): string[] {
  return claims.scope ? claims.scope.split(' ') : [];
}

function readScope(v: unknown): string | undefined | null {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v.length > 400) return null;
  const parts = v.split(' ');
  return parts.every((p) => SCOPE_PATTERN.test(p)) ? v : null;
}

/** `user:<id>` or `service:<id>`: how an actor is named in `changedBy` and audit fields. */
export function actorRef(actor: TokenActor): string {
  return `${actor.kind}:${actor.id}`;
}

/** Who a change is recorded as: the token's actor, or the project itself for a token naming none. */
export function actorRefOrProject(projectId: string, actor: TokenActor | undefined): string {
  return actor ? actorRef(actor) : `project:${projectId}`;
}

function readActor(v: unknown): TokenActor | undefined | null {
  if (v === undefined) return undefined;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
  const a = v as Record<string, unknown>;
  if ((a.kind !== 'user' && a.kind !== 'service') || typeof a.id !== 'string' || !ACTOR_ID_PATTERN.test(a.id)) return null;
  if (a.name !== undefined && (typeof a.name !== 'string' || a.name.length === 0 || a.name.length > 200)) return null;
  if (a.email !== undefined && (typeof a.email !== 'string' || a.email.length === 0 || a.email.length > 320)) return null;
  return { kind: a.kind, id: a.id, ...(a.name !== undefined ? { name: a.name } : {}), ...(a.email !== undefined ? { email: a.email } : {}) };
}

export type TokenFailure = 'malformed' | 'unsupported_alg' | 'bad_signature' | 'expired' | 'not_yet_valid';

export type TokenVerification = { ok: true; claims: ProjectTokenClaims } | { ok: false; failure: TokenFailure; message: string };

/** Project ids as they appear in URLs and subjects; anything else is refused in a token. */
export const PROJECT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

// Generous for our claims; a cap keeps a hostile header from costing a large parse.
const MAX_TOKEN_LENGTH = 4096;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const DEFAULT_LEEWAY_SECONDS = 30;

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

function sign(input: string, secret: string): Buffer {
  return createHmac('sha256', secret).update(input).digest();
}

/**
 * A key id derived from the secret: stable across restarts and services, and it reveals nothing
 * usable (a truncated SHA-256 of a ≥ 32-character key).
 */
export function keyIdFor(secret: string): string {
  return createHash('sha256').update(`stagehook-kid:${secret}`).digest().subarray(0, 6).toString('base64url');
}

export interface MintProjectTokenOptions {
  projectId: string;
  secret: string;
  ttlSeconds: number;
  kid?: string;
  /** The clock, as data. */
  now?: Date;
  jti?: string;
  actor?: TokenActor;
  scopes?: readonly string[];
}

export function mintProjectToken({ projectId, secret, ttlSeconds, kid, now = new Date(), jti = randomUUID(), actor, scopes }: MintProjectTokenOptions): string {
  if (scopes !== undefined && (scopes.length === 0 || !scopes.every((s) => SCOPE_PATTERN.test(s))))
    throw new RangeError('scopes must be 1-64 lower-case letters, digits, : _ - each');
  if (actor !== undefined && !readActor(actor)) throw new RangeError('actor must be {kind: user|service, id: 1-128 letters, digits, . _ : @ -, name?, email?}');
  if (!PROJECT_ID_PATTERN.test(projectId)) throw new RangeError('projectId must be 1-128 letters, digits, . _ : - (starting with a letter or digit)');
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) throw new RangeError('ttlSeconds must be a positive integer');
  if (secret.length === 0) throw new RangeError('secret must not be empty');
  const keyId = kid ?? keyIdFor(secret);
  const iat = Math.floor(now.getTime() / 1000);
  const header = { alg: 'HS256', typ: 'JWT', kid: keyId };
  const claims: ProjectTokenClaims = {
    sub: projectId,
    iat,
    exp: iat + ttlSeconds,
    jti,
    kid: keyId,
    ...(actor ? { act: readActor(actor)! } : {}),
    ...(scopes ? { scope: scopes.join(' ') } : {}),
  };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  return `${input}.${b64url(sign(input, secret))}`;
}

function decodeJson(part: string): Record<string, unknown> | undefined {
  if (!BASE64URL.test(part)) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const fail = (failure: TokenFailure, message: string): TokenVerification => ({ ok: false, failure, message });

function isSeconds(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** What a token says once its signature and claims are checked: everything but whether it is valid now. */
type SignedToken = { ok: true; claims: ProjectTokenClaims; nbf?: number } | { ok: false; failure: TokenFailure; message: string };

/** Shape, algorithm, signature, then claims; the clock is checked separately (`atTime`). */
function verifySigned(token: string, secrets: readonly string[]): SignedToken {
  if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) return fail('malformed', 'token is empty or too long');
  const parts = token.split('.');
  if (parts.length !== 3) return fail('malformed', 'token must have three dot-separated parts');
  const [h, p, s] = parts as [string, string, string];
  const header = decodeJson(h);
  if (!header) return fail('malformed', 'token header is not base64url JSON');
  // Only HS256 is ever accepted: `none`, asymmetric algorithms (key confusion) and anything a
  // client would like us to try are refused before the signature is looked at.
  if (header.alg !== 'HS256') return fail('unsupported_alg', 'token algorithm must be HS256');
  if (header.typ !== undefined && header.typ !== 'JWT') return fail('malformed', 'token type must be JWT');
  if (header.crit !== undefined) return fail('malformed', 'token header has unsupported critical extensions');
  const payload = decodeJson(p);
  if (!payload) return fail('malformed', 'token payload is not base64url JSON');
  if (!BASE64URL.test(s)) return fail('malformed', 'token signature is not base64url');
  const given = Buffer.from(s, 'base64url');

  const kid = typeof header.kid === 'string' ? header.kid : undefined;
  // Try the key the token names first, but every key in any case: a kid chosen at mint time
  // (`--kid`) need not be derived from the secret.
  const ordered = [...secrets].sort((a, b) => Number(keyIdFor(b) === kid) - Number(keyIdFor(a) === kid));
  const input = `${h}.${p}`;
  let valid = false;
  for (const secret of ordered) {
    const expected = sign(input, secret);
    if (expected.length === given.length && timingSafeEqual(expected, given)) {
      valid = true;
      break;
    }
  }
  if (!valid) return fail('bad_signature', 'token signature does not match');

  const { sub, iat, exp, jti, nbf } = payload;
  if (typeof sub !== 'string' || !PROJECT_ID_PATTERN.test(sub)) return fail('malformed', 'token subject is not a project id');
  if (!isSeconds(iat) || !isSeconds(exp) || exp <= iat) return fail('malformed', 'token iat/exp are not valid times');
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > 128) return fail('malformed', 'token id (jti) is missing');
  const claimKid = typeof payload.kid === 'string' ? payload.kid : (kid ?? '');
  const act = readActor(payload.act);
  if (act === null) return fail('malformed', 'token actor (act) is not {kind: user|service, id, name?, email?}');
  const scope = readScope(payload.scope);
  if (scope === null) return fail('malformed', 'token scope is not space-separated scope names');
  return { ok: true, claims: { sub, iat, exp, jti, kid: claimKid, ...(act ? { act } : {}), ...(scope ? { scope } : {}) }, ...(isSeconds(nbf) ? { nbf } : {}) };
}

/** A signed token judged at `now`: not yet valid, expired, or its claims. */
function atTime(signed: SignedToken, now: Date, leewaySeconds: number): TokenVerification {
  if (!signed.ok) return signed;
  const { claims, nbf } = signed;
  const nowSeconds = Math.floor(now.getTime() / 1000);
  if (claims.iat > nowSeconds + leewaySeconds || (nbf !== undefined && nbf > nowSeconds + leewaySeconds)) {
    return fail('not_yet_valid', 'token is not valid yet');
  }
  if (nowSeconds >= claims.exp + leewaySeconds) return fail('expired', 'token has expired');
  return { ok: true, claims };
}

/**
 * Verifies a token against every configured secret (the first signs, all verify, so keys rotate
 * without logging anyone out). Order of checks: shape, algorithm, signature, then claims — so a
 * forged token is reported as forged even when it is also expired.
 */
export function verifyProjectToken(
  token: string,
  secrets: readonly string[],
  now: Date = new Date(),
  { leewaySeconds = DEFAULT_LEEWAY_SECONDS }: { leewaySeconds?: number } = {},
): TokenVerification {
  return atTime(verifySigned(token, secrets), now, leewaySeconds);
}

/**
 * `verifyProjectToken` for a server that sees the same tokens on request after request: a token
 * whose signature and claims checked out is remembered (up to `capacity`, the least recently
 * seen dropped first), so its next request costs a map lookup and the clock checks instead of
 * two base64 decodes, two JSON parses and an HMAC. Only good tokens are kept: a flood of forged
 * ones cannot push them out, and each forged one is checked in full. The key is the whole token,
 * signature included, so a remembered answer is only ever given for the exact bytes that earned it.
 */
export class ProjectTokenVerifier {
  private readonly signed = new Map<string, SignedToken & { ok: true }>();

  constructor(
    private readonly secrets: readonly string[],
    private readonly capacity = 1000,
    private readonly leewaySeconds = DEFAULT_LEEWAY_SECONDS,
  ) {}

  verify(token: string, now: Date = new Date()): TokenVerification {
    const known = this.signed.get(token);
    let signed: SignedToken;
    if (known) {
      // Most recently seen last: the first key is the one to drop.
      this.signed.delete(token);
      this.signed.set(token, known);
      signed = known;
    } else {
      signed = verifySigned(token, this.secrets);
      if (signed.ok) {
        // Shared by every request that brings this token: none of them may change it.
        Object.freeze(signed.claims);
        if (signed.claims.act) Object.freeze(signed.claims.act);
        this.signed.set(token, signed);
        if (this.signed.size > this.capacity) this.signed.delete(this.signed.keys().next().value!);
      }
    }
    return atTime(signed, now, this.leewaySeconds);
  }
}
