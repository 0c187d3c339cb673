import { describe, expect, it } from '@jest/globals';
import { IsString, Matches } from 'class-validator';
import { BaseConfig } from '../src/config/base-config.js';
import { EnvBoolean, EnvInteger, Secret } from '../src/config/env-decorators.js';
import { ConfigValidationError, loadConfig } from '../src/config/load-config.js';
import { TokenCliConfig } from '../src/auth/mint-token-cli.js';

const GOOD_SECRET = 'k'.repeat(40);
const VALID = {
  NODE_ENV: 'production',
  SERVICE_NAME: 'webhooks',
  PORT: '8080',
  DATABASE_URL: 'postgres://svc:hunter2-db-password@db.internal:5432/webhooks',
  NATS_URL: 'nats://nats-1:4222,nats://nats-2:4222',
  AUTH_TOKEN_SECRETS: ` ${GOOD_SECRET} , ${'m'.repeat(32)} `,
};

function problemsOf(fn: () => unknown): ConfigValidationError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigValidationError) return e;
    throw e;
  }
  throw new Error('expected a ConfigValidationError');
}

class DeliveryConfig extends BaseConfig {
  @EnvInteger({ min: 1000 })
  DELIVERY_TIMEOUT_MS = 15_000;

  @EnvBoolean()
  SSRF_ALLOW_PRIVATE = false;

  @Secret()
  @IsString()
  ENCRYPTION_KEY!: string;
}

describe('loadConfig', () => {
  it('converts types and applies defaults', () => {
    const c = loadConfig(BaseConfig, VALID);
    expect(c).toBeInstanceOf(BaseConfig);
    expect(c.PORT).toBe(8080);
    expect(c.HOST).toBe('0.0.0.0');
    expect(c.BUS_NAMESPACE).toBe('');
    expect(c.LOG_LEVEL).toBe('info');
    expect(c.HTTP_BODY_LIMIT).toBe('1mb');
    expect(c.SHUTDOWN_TIMEOUT_MS).toBe(10_000);
    expect(c.AUTH_TOKEN_SECRETS).toEqual([GOOD_SECRET, 'm'.repeat(32)]);
  });

  it('reads only declared variables, and treats an empty one as unset', () => {
    const c = loadConfig(BaseConfig, { ...VALID, PATH: '/usr/bin', LOG_LEVEL: '', SHUTDOWN_TIMEOUT_MS: '2500' });
    expect((c as unknown as Record<string, unknown>).PATH).toBeUndefined();
    expect(c.LOG_LEVEL).toBe('info');
    expect(c.SHUTDOWN_TIMEOUT_MS).toBe(2500);
  });

  it('lists every invalid variable by name in one error', () => {
    const err = problemsOf(() => loadConfig(BaseConfig, { ...VALID, NODE_ENV: 'staging', PORT: 'eighty', LOG_LEVEL: 'loud', SERVICE_NAME: undefined, HTTP_BODY_LIMIT: 'lots' }));
    expect(err.problems.map((p) => p.variable)).toEqual(['HTTP_BODY_LIMIT', 'LOG_LEVEL', 'NODE_ENV', 'PORT', 'SERVICE_NAME']);
    expect(err.message).toContain('PORT: must be an integer between 0 and 65535');
    expect(err.message).toContain('SERVICE_NAME: is required but not set');
    expect(err.message).toContain('NODE_ENV: must be one of development, test, production');
  });

  it('says which token secrets are too short without echoing any secret', () => {
    const short = 'short-secret-value-1234';
    const err = problemsOf(() => loadConfig(BaseConfig, { ...VALID, AUTH_TOKEN_SECRETS: `${GOOD_SECRET},${short}` }));
    expect(err.problems).toEqual([{ variable: 'AUTH_TOKEN_SECRETS', problems: ['entry 2 (1-based) is shorter than 32 characters'] }]);
    expect(err.message).not.toContain(short);
    expect(err.message).not.toContain(GOOD_SECRET);
  });

  it('keeps the message readable when a short secret happens to be a word in it', () => {
    const err = problemsOf(() => loadConfig(BaseConfig, { ...VALID, AUTH_TOKEN_SECRETS: 'short' }));
    expect(err.problems).toEqual([{ variable: 'AUTH_TOKEN_SECRETS', problems: ['entry 1 (1-based) is shorter than 32 characters'] }]);
  });

  it('refuses an empty secret list', () => {
    const err = problemsOf(() => loadConfig(BaseConfig, { ...VALID, AUTH_TOKEN_SECRETS: ' , ' }));
    expect(err.problems[0]).toEqual({ variable: 'AUTH_TOKEN_SECRETS', problems: ['must list at least 1 entry'] });
  });

  it('never echoes a database or NATS URL, which can carry a password', () => {
    const db = 'mysql://root:hunter2-db-password@db:3306/x';
    const nats = 'http://user:nats-password-xyz@nats:4222';
    const err = problemsOf(() => loadConfig(BaseConfig, { ...VALID, DATABASE_URL: db, NATS_URL: nats }));
    expect(err.problems.map((p) => p.variable)).toEqual(['DATABASE_URL', 'NATS_URL']);
    expect(err.message).not.toContain('hunter2');
    expect(err.message).not.toContain('nats-password');
    expect(err.message).toContain('DATABASE_URL: must be a postgres:// or postgresql:// URL');
  });

  it('redacts a secret even from a message that would quote it', () => {
    class Quoting {
      @Secret()
      @Matches(/^\d+$/, { message: 'got $value, want digits' })
      API_KEY!: string;
    }
    const err = problemsOf(() => loadConfig(Quoting, { API_KEY: 'sk_live_abcdefgh' }));
    expect(err.message).toContain('API_KEY: is invalid (the message is withheld because it would quote a secret value)');
    expect(err.message).not.toContain('sk_live_abcdefgh');
  });

  it('validates the fields a service adds, with its own conversions', () => {
    const c = loadConfig(DeliveryConfig, { ...VALID, SSRF_ALLOW_PRIVATE: 'yes', ENCRYPTION_KEY: 'x'.repeat(32) });
    expect(c).toBeInstanceOf(DeliveryConfig);
    expect(c.SSRF_ALLOW_PRIVATE).toBe(true);
    expect(c.DELIVERY_TIMEOUT_MS).toBe(15_000);
    const err = problemsOf(() => loadConfig(DeliveryConfig, { ...VALID, SSRF_ALLOW_PRIVATE: 'maybe', DELIVERY_TIMEOUT_MS: '5' }));
    expect(err.problems.map((p) => p.variable)).toEqual(['DELIVERY_TIMEOUT_MS', 'ENCRYPTION_KEY', 'SSRF_ALLOW_PRIVATE']);
    expect(err.message).toContain('SSRF_ALLOW_PRIVATE: must be one of true/false');
  });

  it('loads the token CLI config without the service variables', () => {
    expect(loadConfig(TokenCliConfig, { AUTH_TOKEN_SECRETS: GOOD_SECRET }).AUTH_TOKEN_SECRETS).toEqual([GOOD_SECRET]);
  });
});
