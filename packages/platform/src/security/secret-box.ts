import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** A secret sealed with AES-256-GCM; every field base64. Same shape as `SealedSecretData` in contracts. */
export interface SealedSecret {
  kid: string;
  iv: string;
  tag: string;
  ct: string;
}

export type SecretBoxErrorCode = 'unknown_kid' | 'tampered' | 'malformed' | 'bad_keyring';

/** Never carries plaintext or key material: only a code and the key id. */
export class SecretBoxError extends Error {
  constructor(
    readonly code: SecretBoxErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SecretBoxError';
  }
}

const KID_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Seals secrets at rest and on the bus. A keyring (`kid → 32-byte key`) lets the key itself
 * rotate: the first key seals, every key opens, and the kid travels with each sealed value.
 */
export class SecretBox {
  private readonly keys: ReadonlyMap<string, Buffer>;
  readonly sealingKid: string;

  constructor(keyring: ReadonlyArray<readonly [kid: string, key: Buffer]>) {
    if (keyring.length === 0) throw new SecretBoxError('bad_keyring', 'the keyring needs at least one key');
    const keys = new Map<string, Buffer>();
    for (const [kid, key] of keyring) {
      if (!KID_PATTERN.test(kid)) throw new SecretBoxError('bad_keyring', `invalid key id '${kid.slice(0, 64)}'`);
      if (key.length !== 32) throw new SecretBoxError('bad_keyring', `key '${kid}' must be 32 bytes, got ${key.length}`);
      if (keys.has(kid)) throw new SecretBoxError('bad_keyring', `duplicate key id '${kid}'`);
      keys.set(kid, Buffer.from(key));
    }
    this.keys = keys;
    this.sealingKid = keyring[0][0];
  }

  /** From a config value `k1:<base64 32 bytes>,k0:<base64 32 bytes>` (first seals). */
  static fromConfig(value: string): SecretBox {
    return new SecretBox(parseKeyring(value));
  }

  get keyIds(): string[] {
    return [...this.keys.keys()];
  }

  /** `aad` binds the sealed value to a context (opening needs the same aad). */
  seal(plaintext: string, aad?: string): SealedSecret {
    const key = this.keys.get(this.sealingKid)!;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    if (aad !== undefined) cipher.setAAD(Buffer.from(aad, 'utf8'));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return { kid: this.sealingKid, iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), ct: ct.toString('base64') };
  }

  open(sealed: SealedSecret, aad?: string): string {
    const key = this.keys.get(sealed.kid);
    if (!key) throw new SecretBoxError('unknown_kid', `no key '${String(sealed.kid).slice(0, 64)}' in the keyring`);
    const iv = Buffer.from(sealed.iv ?? '', 'base64');
    const tag = Buffer.from(sealed.tag ?? '', 'base64');
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES || typeof sealed.ct !== 'string') {
      throw new SecretBoxError('malformed', 'sealed value is malformed');
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      if (aad !== undefined) decipher.setAAD(Buffer.from(aad, 'utf8'));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(Buffer.from(sealed.ct, 'base64')), decipher.final()]).toString('utf8');
    } catch {
      // The crypto error says nothing useful and must not be echoed with any context.
      throw new SecretBoxError('tampered', `sealed value failed authentication (key '${sealed.kid}')`);
    }
  }

  /** True when the value was sealed with an older key and should be resealed. */
  needsReseal(sealed: SealedSecret): boolean {
    return sealed.kid !== this.sealingKid;
  }

  /** Opens with whichever key sealed it and seals again with the current key. */
  reseal(sealed: SealedSecret, aad?: string): SealedSecret {
    return this.needsReseal(sealed) ? this.seal(this.open(sealed, aad), aad) : sealed;
  }

  /** Compact form `kid.iv.tag.ct` (base64url parts) for columns or headers. */
  sealCompact(plaintext: string, aad?: string): string {
    return toCompact(this.seal(plaintext, aad));
  }

  openCompact(compact: string, aad?: string): string {
    return this.open(fromCompact(compact), aad);
  }
}

export function toCompact(s: SealedSecret): string {
  const u = (b64: string) => Buffer.from(b64, 'base64').toString('base64url');
  return [s.kid, u(s.iv), u(s.tag), u(s.ct)].join('.');
}

export function fromCompact(compact: string): SealedSecret {
  const parts = compact.split('.');
  // kid may itself contain dots: the last three parts are iv, tag, ct.
  if (parts.length < 4) throw new SecretBoxError('malformed', 'compact sealed value is malformed');
  const ct = parts.pop()!;
  const tag = parts.pop()!;
  const iv = parts.pop()!;
  const b = (u: string) => Buffer.from(u, 'base64url').toString('base64');
  return { kid: parts.join('.'), iv: b(iv), tag: b(tag), ct: b(ct) };
}

/**
 * Parses `k1:<base64>,k0:<base64>`. Errors name the key id and what is wrong, never the value.
 */
export function parseKeyring(value: string): Array<[string, Buffer]> {
  const out: Array<[string, Buffer]> = [];
  const entries = value
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e.length > 0);
  if (entries.length === 0) throw new SecretBoxError('bad_keyring', 'expected kid:<base64 32-byte key>[,kid:<key>…]');
  for (const [i, entry] of entries.entries()) {
    const colon = entry.indexOf(':');
    if (colon <= 0) throw new SecretBoxError('bad_keyring', `entry ${i + 1} must be kid:<base64 32-byte key>`);
    const kid = entry.slice(0, colon);
    const b64 = entry.slice(colon + 1);
    if (!KID_PATTERN.test(kid)) throw new SecretBoxError('bad_keyring', `entry ${i + 1} has an invalid key id`);
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(b64)) throw new SecretBoxError('bad_keyring', `key '${kid}' is not base64`);
    const key = Buffer.from(b64, b64.includes('-') || b64.includes('_') ? 'base64url' : 'base64');
    if (key.length !== 32) throw new SecretBoxError('bad_keyring', `key '${kid}' must decode to 32 bytes, got ${key.length}`);
    out.push([kid, key]);
  }
  return out;
}

/** A config validator (`@Validate`-free): true when the value parses as a keyring. */
export function isValidKeyring(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    parseKeyring(value);
    return true;
  } catch {
    return false;
  }
}

/** `whsec_…` → `whsec_…a1b2`: enough to recognise a secret, never enough to use it. */
export function maskSecret(secret: string, visible = 4): string {
  const prefix = secret.startsWith('whsec_') ? 'whsec_' : '';
  const body = secret.slice(prefix.length);
  if (body.length <= visible * 3) return `${prefix}…`;
  return `${prefix}…${body.slice(-visible)}`;
}
