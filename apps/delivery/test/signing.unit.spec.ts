import { randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { Webhook } from 'standardwebhooks';
import { sign, signatureHeader } from '../src/domain/signing.js';

const secret = () => `whsec_${randomBytes(32).toString('base64')}`;

describe('Standard Webhooks signatures', () => {
  const id = 'b2f1c3a4-0000-4000-8000-000000000001';
  const body = JSON.stringify({ type: 'item.status.changed', timestamp: '2026-01-01T00:00:00.000Z', data: { a: 'é' } });

  it('verifies with the reference implementation', () => {
    const s = secret();
    const ts = Math.floor(Date.now() / 1000);
    const headers = { 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': sign(s, id, ts, body) };
    expect(new Webhook(s).verify(body, headers)).toEqual(JSON.parse(body));
  });

  it('during a rotation, receivers holding either secret verify', () => {
    const oldS = secret();
    const newS = secret();
    const ts = Math.floor(Date.now() / 1000);
    const headers = { 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': signatureHeader([newS, oldS], id, ts, body) };
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(() => new Webhook(oldS).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(newS).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(secret()).verify(body, headers)).toThrow();
  });

  it('a changed byte in the body fails verification', () => {
    const s = secret();
    const ts = Math.floor(Date.now() / 1000);
    const headers = { 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': sign(s, id, ts, body) };
    expect(() => new Webhook(s).verify(body.replace('é', 'e'), headers)).toThrow();
  });
});
