import { describe, expect, it } from '@jest/globals';
import { Webhook } from 'standardwebhooks';
import { verifyWebhook, WebhookVerificationError } from '../src/verify.js';

const secret = `whsec_${Buffer.from('a'.repeat(32)).toString('base64')}`;
const other = `whsec_${Buffer.from('b'.repeat(32)).toString('base64')}`;

function signed(body: string, key = secret) {
  const id = 'msg_1';
  const timestamp = new Date();
  const signature = new Webhook(key).sign(id, timestamp, body);
  return { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)), 'webhook-signature': signature };
}

describe('verifyWebhook', () => {
  it('returns the parsed body of a request signed by the standardwebhooks library', () => {
    const body = JSON.stringify({ type: 'webhook.test', data: { ok: true } });
    expect(verifyWebhook({ secrets: secret, headers: signed(body), body })).toEqual({ type: 'webhook.test', data: { ok: true } });
  });

  it('accepts the previous secret during a rotation and headers as a Headers object', () => {
    const body = '{"n":1}';
    expect(verifyWebhook({ secrets: [other, secret], headers: new Headers(signed(body)), body: Buffer.from(body) })).toEqual({ n: 1 });
  });

  it('refuses a body that was changed after signing', () => {
    const headers = signed('{"n":1}');
    expect(() => verifyWebhook({ secrets: secret, headers, body: '{"n":2}' })).toThrow(WebhookVerificationError);
  });

  it('refuses a signature made with another secret', () => {
    const body = '{"n":1}';
    expect(() => verifyWebhook({ secrets: [secret], headers: signed(body, other), body })).toThrow(WebhookVerificationError);
  });
});
