import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '@stagehook/platform';
import { WebhooksConfig } from '../src/config.js';

const base = {
  NODE_ENV: 'test',
  SERVICE_NAME: 'webhooks',
  PORT: '0',
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/x',
  NATS_URL: 'nats://127.0.0.1:4222',
  AUTH_TOKEN_SECRETS: 'x'.repeat(40),
};

function problemsOf(env: Record<string, string>): string {
  try {
    loadConfig(WebhooksConfig, { ...base, ...env });
  } catch (e) {
    return (e as Error).message;
  }
  return '';
}

describe('WebhooksConfig', () => {
  it('reads the keyring, allow-list and defaults', () => {
    const keys = `k2:${randomBytes(32).toString('base64')},k1:${randomBytes(32).toString('base64')}`;
    const c = loadConfig(WebhooksConfig, { ...base, SECRET_KEYS: keys, SSRF_ALLOW_LIST: 'localhost, 10.0.0.0/8' });
    expect(c.SECRET_KEYS).toBe(keys);
    expect(c.SSRF_ALLOW_LIST).toEqual(['localhost', '10.0.0.0/8']);
    expect(c.ROTATION_GRACE_SECONDS).toBe(86_400);
    expect(loadConfig(WebhooksConfig, { ...base, SECRET_KEYS: keys }).SSRF_ALLOW_LIST).toEqual([]);
  });

  it('refuses a bad keyring without echoing it', () => {
    const short = `k1:${randomBytes(16).toString('base64')}`;
    const msg = problemsOf({ SECRET_KEYS: short });
    expect(msg).toContain('SECRET_KEYS');
    expect(msg).not.toContain(short.slice(3));
    expect(problemsOf({})).toContain('SECRET_KEYS');
  });

  it('refuses a malformed allow-list entry', () => {
    expect(problemsOf({ SECRET_KEYS: `k1:${randomBytes(32).toString('base64')}`, SSRF_ALLOW_LIST: '10.0.0.0/40' })).toContain('SSRF_ALLOW_LIST');
  });
});
