import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { SecretBox, customHeaderField, sealEndpointSecret } from '@stagehook/platform';
import { until } from '@stagehook/testing';
import { Harness, whsec } from './support/harness.js';

const P = 'proj-hostile';

interface Attempt {
  n: number;
  statusCode: number | null;
  error: string | null;
  responseBody: string | null;
  responseHeaders: Record<string, string> | null;
}

/**
 * Receivers answer with whatever they like. Before, a 200 whose body held a NUL byte could not be
 * recorded (PostgreSQL refuses U+0000 in text and jsonb): the error was only logged, the lease
 * lapsed and the same webhook was sent again every 30 s, forever, with `attempts: 0`.
 */
describe('attempts against hostile receivers always end, counted', () => {
  const h = new Harness('hostile');
  let app: NestExpressApplication;
  let server: Server;
  let base: string;
  const hits = new Map<string, number>();

  beforeAll(async () => {
    await h.setUp();
    server = createServer((req, res) => {
      const path = req.url ?? '/';
      hits.set(path, (hits.get(path) ?? 0) + 1);
      req.resume();
      req.on('end', () => {
        if (path === '/nul') {
          res.writeHead(200, { 'content-type': 'text/plain', 'x-note': 'before\u0000after'.replace('\u0000', ' ') });
          res.end('ok\u0000done');
        } else if (path === '/invalid-utf8') {
          res.writeHead(200, { 'content-type': 'application/octet-stream' });
          res.end(Buffer.from([0x6f, 0x6b, 0xff, 0xfe, 0x00, 0xc3, 0x28, 0xed, 0xa0, 0x80]));
        } else if (path === '/binary') {
          res.writeHead(200, { 'content-type': 'image/png' });
          res.end(randomBytes(30_000));
        } else if (path === '/huge-header') {
          res.writeHead(200, { 'x-huge': 'h'.repeat(100_000) });
          res.end('{"ok":true}');
        } else {
          res.writeHead(200).end();
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    app = await h.boot();
  });

  afterAll(async () => {
    await h.tearDown();
    await new Promise((r) => server.close(r));
  });

  async function attemptsOf(triggerEventId: string): Promise<{ outcome: { type: string; data: Record<string, unknown> }; attempts: Attempt[] }> {
    await until(async () => (await h.outcomes(triggerEventId)).length > 0, { timeoutMs: 20_000, message: `an outcome for ${triggerEventId}` });
    const [outcome] = await h.outcomes(triggerEventId);
    const res = await fetch(h.url(app, `/deliveries/${String(outcome.data.deliveryId)}/attempts`), { headers: { authorization: `Bearer ${h.token(P)}` } });
    expect(res.status).toBe(200);
    return { outcome, attempts: ((await res.json()) as { data: Attempt[] }).data };
  }

  it('records a 200 whose body holds a NUL byte as delivered, once', async () => {
    const ep = await h.registerEndpoint(P, `${base}/nul`);
    const entry = await h.enterWebhookStage(P, ep.endpointId);
    const { outcome, attempts } = await attemptsOf(entry.eventId);
    expect(outcome.type).toBe('delivery.webhook.delivered');
    expect(attempts).toHaveLength(1);
    expect(attempts[0].statusCode).toBe(200);
    expect(attempts[0].responseBody).toBe('ok\u2400done');
    expect(hits.get('/nul')).toBe(1);
  });

  it('records invalid UTF-8 and binary bodies readably', async () => {
    const ep = await h.registerEndpoint(P, `${base}/invalid-utf8`);
    const entry = await h.enterWebhookStage(P, ep.endpointId);
    const { outcome, attempts } = await attemptsOf(entry.eventId);
    expect(outcome.type).toBe('delivery.webhook.delivered');
    expect(attempts).toHaveLength(1);
    expect(attempts[0].responseBody).toMatch(/^ok\uFFFD/);
    expect(attempts[0].responseBody).not.toContain('\u0000');

    const bin = await h.registerEndpoint(P, `${base}/binary`);
    const binEntry = await h.enterWebhookStage(P, bin.endpointId);
    const b = await attemptsOf(binEntry.eventId);
    expect(b.outcome.type).toBe('delivery.webhook.delivered');
    expect(b.attempts).toHaveLength(1);
    expect(b.attempts[0].responseBody).not.toContain('\u0000');
  });

  it('counts a response with a 100 kB header line as an attempt, and ends', async () => {
    const ep = await h.registerEndpoint(P, `${base}/huge-header`);
    const entry = await h.enterWebhookStage(P, ep.endpointId, { maxAttempts: 2 });
    const { attempts } = await attemptsOf(entry.eventId);
    expect(attempts.length).toBeGreaterThanOrEqual(1);
    expect(attempts.length).toBeLessThanOrEqual(2);
    for (const a of attempts) {
      const stored = JSON.stringify(a.responseHeaders ?? {});
      expect(stored.length).toBeLessThan(20_000);
    }
    expect(hits.get('/huge-header')).toBe(attempts.length);
  });

  it('fails attempts whose signing secret is sealed under a key no longer in SECRET_KEYS, with the reason, and ends', async () => {
    const foreign = SecretBox.fromConfig(`gone:${randomBytes(32).toString('base64')}`);
    const ep = await h.registerEndpoint(P, `${base}/ok`);
    // The registry's event as it would read after the platform key `gone` was removed from the keyring.
    const sealedWithGoneKey = { ...ep, signingSecrets: { current: foreign.seal(whsec()), previous: null }, at: new Date().toISOString() };
    await h.publish('webhook.endpoint.updated', sealedWithGoneKey, P, `endpoint-${ep.endpointId}`);
    await h.waitForRow(`SELECT 1 FROM dl_endpoints WHERE id = $1 AND state::text LIKE '%"gone"%'`, [ep.endpointId]);
    const entry = await h.enterWebhookStage(P, ep.endpointId, { maxAttempts: 3 });
    const { outcome, attempts } = await attemptsOf(entry.eventId);
    expect(outcome.type).toBe('delivery.webhook.failed');
    expect(attempts).toHaveLength(3);
    for (const a of attempts) expect(a.error).toMatch(/signing secret.*gone/i);
    expect(String(outcome.data.lastError)).toMatch(/signing secret.*gone/i);
    expect(hits.get('/ok') ?? 0).toBe(0);
  });

  it('fails attempts whose custom header value was sealed for another endpoint, naming the header, and never sends it', async () => {
    const ep = await h.registerEndpoint(P, `${base}/ok`);
    // A sealed value lifted from another endpoint's event: it is bound to that endpoint.
    const lifted = sealEndpointSecret(h.box, 'key-of-another-team', 'ep_other', customHeaderField('X-Api-Key'));
    await h.publish('webhook.endpoint.updated', { ...ep, headers: [{ name: 'X-Api-Key', sealed: lifted }], at: new Date().toISOString() }, P, `endpoint-${ep.endpointId}`);
    await h.waitForRow(`SELECT 1 FROM dl_endpoints WHERE id = $1 AND state::text LIKE '%X-Api-Key%'`, [ep.endpointId]);
    const entry = await h.enterWebhookStage(P, ep.endpointId, { maxAttempts: 2 });
    const { outcome, attempts } = await attemptsOf(entry.eventId);
    expect(outcome.type).toBe('delivery.webhook.failed');
    expect(attempts).toHaveLength(2);
    for (const a of attempts) expect(a.error).toMatch(/custom header x-api-key could not be opened.*authentication/i);
    expect(hits.get('/ok') ?? 0).toBe(0);
  });
});
