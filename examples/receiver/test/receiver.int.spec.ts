import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { until } from '@stagehook/testing';
import { Webhook } from 'standardwebhooks';
import { createReceiver, type ReceiverStats } from '../src/receiver.js';

const SECRET = 'whsec_' + Buffer.from('receiver-test-secret-32-bytes!!!').toString('base64');
const url = (s: Server) => `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
const listen = (s: Server) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r));

describe('the sample receiver', () => {
  let receiver: Server;
  let stats: ReceiverStats;
  let itemsApi: Server;
  const tagged: { path: string; auth: string | undefined; body: string }[] = [];

  beforeAll(async () => {
    itemsApi = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        tagged.push({ path: req.url ?? '', auth: req.headers.authorization, body });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await listen(itemsApi);
    ({ server: receiver, stats } = createReceiver({
      secrets: [SECRET],
      expectedAuthorization: 'Bearer demo',
      itemsUrl: url(itemsApi),
      itemsToken: 'tok',
      log: () => undefined,
    }));
    await listen(receiver);
  });
  afterAll(async () => {
    await new Promise((r) => receiver.close(r));
    await new Promise((r) => itemsApi.close(r));
  });

  function send(path: string, id: string, body: object, { auth = 'Bearer demo', secret = SECRET } = {}) {
    const payload = JSON.stringify(body);
    const now = new Date();
    const signature = new Webhook(secret).sign(id, now, payload);
    return fetch(`${url(receiver)}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: auth,
        'webhook-id': id,
        'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
        'webhook-signature': signature,
      },
      body: payload,
    });
  }

  const stageBody = (itemId: string, shapes: number, expected: number) => ({
    type: 'workflow.stage.entered',
    timestamp: new Date().toISOString(),
    data: {
      itemId,
      stageName: 'Webhook',
      item: { name: `${itemId}.jpg`, tags: [], metadata: { expected_annotations: expected } },
      annotations: {
        version: '2.0',
        annotations: [...Array.from({ length: shapes }, () => ({ name: 'screw', bounding_box: { x: 1, y: 1, w: 2, h: 2 } })), { name: 'checked', tag: {} }],
      },
    },
  });

  it('accepts a signed stage delivery, counts its shapes and tags an item with missing annotations', async () => {
    expect((await send('/stage', 'msg_1', stageBody('item-1', 8, 10))).status).toBe(200);
    await until(() => tagged.length > 0, { message: 'the receiver tagged the item' });
    expect(stats.annotationsCounted).toBe(8);
    expect(tagged).toEqual([{ path: '/items/item-1/tags', auth: 'Bearer tok', body: JSON.stringify({ name: 'missing annotations' }) }]);
  });

  it('does not tag an item that has all its annotations', async () => {
    expect((await send('/stage', 'msg_2', stageBody('item-2', 3, 3))).status).toBe(200);
    expect(stats.annotationsCounted).toBe(11);
    expect(tagged).toHaveLength(1);
  });

  it('refuses a forged signature and a wrong authorization header', async () => {
    const forged = 'whsec_' + Buffer.from('another-secret-of-32-bytes-here!').toString('base64');
    expect((await send('/stage', 'msg_3', stageBody('item-3', 1, 1), { secret: forged })).status).toBe(401);
    expect((await send('/stage', 'msg_4', stageBody('item-4', 1, 1), { auth: 'Bearer nope' })).status).toBe(401);
    expect(stats.rejectedSignature).toBe(1);
    expect(stats.rejectedAuthorization).toBe(1);
  });

  it('acknowledges a retry with the same webhook-id without acting twice', async () => {
    expect((await send('/stage', 'msg_1', stageBody('item-1', 8, 10))).status).toBe(200);
    expect(stats.duplicates).toBe(1);
    expect(stats.annotationsCounted).toBe(11);
  });
});
