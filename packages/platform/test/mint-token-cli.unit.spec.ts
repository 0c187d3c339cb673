import { describe, expect, it } from '@jest/globals';
import { runMintTokenCli } from '../src/auth/mint-token-cli.js';
import { verifyProjectToken } from '../src/auth/token.js';

const SECRET = 'cli-test-secret-0123456789abcdefghijkl';
const NOW = new Date('2026-05-01T00:00:00Z');

function run(argv: string[], env: Record<string, string> = { AUTH_TOKEN_SECRETS: SECRET }) {
  const out: string[] = [];
  const err: string[] = [];
  const code = runMintTokenCli(argv, env, { out: (l) => out.push(l), err: (l) => err.push(l) }, NOW);
  return { code, out, err: err.join('\n') };
}

describe('mint-token CLI', () => {
  it('prints a token for the project, signed with the first secret, with the given TTL', () => {
    const { code, out } = run(['--project', 'proj-7', '--ttl', '120'], { AUTH_TOKEN_SECRETS: `${SECRET},${'z'.repeat(40)}` });
    expect(code).toBe(0);
    expect(out).toHaveLength(1);
    const v = verifyProjectToken(out[0], [SECRET], NOW);
    expect(v).toMatchObject({ ok: true, claims: { sub: 'proj-7' } });
    expect(v.ok && v.claims.exp - v.claims.iat).toBe(120);
  });

  it('mints a token for a user or a service with --user/--service, --name and --email', () => {
    const v = verifyProjectToken(run(['--project', 'p', '--user', 'u-1', '--name', 'Ada Lovelace', '--email', 'ada@example.com']).out[0], [SECRET], NOW);
    expect(v).toMatchObject({ ok: true, claims: { sub: 'p', act: { kind: 'user', id: 'u-1', name: 'Ada Lovelace', email: 'ada@example.com' } } });
    const svc = verifyProjectToken(run(['--project', 'p', '--service', 'labeler']).out[0], [SECRET], NOW);
    expect(svc).toMatchObject({ ok: true, claims: { act: { kind: 'service', id: 'labeler' } } });
    expect(run(['--project', 'p', '--user', 'u', '--service', 's']).code).toBe(2);
    expect(run(['--project', 'p', '--name', 'Ada']).code).toBe(2);
  });

  it('adds scopes with --scope (repeatable) and refuses a malformed one', () => {
    const v = verifyProjectToken(run(['--project', 'p', '--service', 'trainer', '--scope', 'publish']).out[0], [SECRET], NOW);
    expect(v).toMatchObject({ ok: true, claims: { scope: 'publish', act: { kind: 'service', id: 'trainer' } } });
    expect(run(['--project', 'p', '--scope', 'Publish!']).code).not.toBe(0);
  });

  it('defaults the TTL to an hour', () => {
    const v = verifyProjectToken(run(['--project', 'p']).out[0], [SECRET], NOW);
    expect(v.ok && v.claims.exp - v.claims.iat).toBe(3600);
  });

  it('requires --project and a sane --ttl', () => {
    expect(run([])).toMatchObject({ code: 2, out: [] });
    expect(run(['--project', 'p', '--ttl', '-5']).code).toBe(2);
    expect(run(['--project', 'p', '--ttl', '1e3']).code).toBe(2);
    expect(run(['--project', 'p', '--bogus']).code).toBe(2);
    expect(run(['--project', 'bad project id']).code).toBe(2);
  });

  it('names the variable, not its value, when AUTH_TOKEN_SECRETS is missing or weak', () => {
    expect(run(['--project', 'p'], {}).err).toContain('AUTH_TOKEN_SECRETS: is required but not set');
    const weak = run(['--project', 'p'], { AUTH_TOKEN_SECRETS: 'weak-secret' });
    expect(weak.code).toBe(2);
    expect(weak.err).toContain('AUTH_TOKEN_SECRETS');
    expect(weak.err).not.toContain('weak-secret');
  });
});
