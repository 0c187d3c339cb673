import { randomBytes } from 'node:crypto';

/** Who acts with a token (`@stagehook/platform`'s TokenActor). */
export interface TestTokenActor {
  kind: 'user' | 'service';
  id: string;
  name?: string;
  email?: string;
}

export interface TokenOptions {
  actor?: TestTokenActor;
  scopes?: string[];
  ttlSeconds?: number;
  /** Minting time; in the past with a short ttl gives an expired token. */
  now?: Date;
}

/**
 * `@stagehook/platform`'s `mintProjectToken`. Passed in rather than imported: platform's own tests
 * use this package, so depending on platform would make the build graph cyclic.
 */
export type MintProjectToken = (options: { projectId: string; secret: string; ttlSeconds: number; now?: Date; actor?: TestTokenActor; scopes?: string[] }) => string;

/**
 * One token secret for the services a test starts (they all get it as AUTH_TOKEN_SECRETS) and the
 * tokens they accept.
 */
export class TestAuth {
  constructor(
    private readonly mint: MintProjectToken,
    readonly secret: string = randomBytes(32).toString('base64url'),
  ) {}

  token(projectId: string, { actor, scopes, ttlSeconds = 3600, now }: TokenOptions = {}): string {
    return this.mint({ projectId, secret: this.secret, ttlSeconds, ...(now ? { now } : {}), ...(actor ? { actor } : {}), ...(scopes ? { scopes } : {}) });
  }
}

/** A keyring for SECRET_KEYS (the services that seal endpoint secrets must share one). */
export function testSecretKeys(id = 'test'): string {
  return `${id}:${randomBytes(32).toString('base64')}`;
}
