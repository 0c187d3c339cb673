import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientNats } from '@nestjs/microservices';
import type { NatsConnection } from '@nats-io/nats-core';
import { BusNamespace, rpcSpec, type RpcReplyOf } from '@stagehook/contracts';
import { connectTestNats, uniqueName } from '@stagehook/testing';
import { firstValueFrom } from 'rxjs';
import { NatsRpcServer, OnRequest, RpcClient, RpcUnavailableError, rpcRequest, serveRpc } from '../src/index.js';

const Double = rpcSpec<{ n: number }, { doubled: number; by: string }>('rpc.test.double');
const Explode = rpcSpec<{ n: number }, { never: true }>('rpc.test.explode');
const Huge = rpcSpec<{ n: number }, { padding: string }>('rpc.test.huge');
const Nobody = rpcSpec<{ n: number }, { never: true }>('rpc.test.nobody');

let maxPayload = 0;

@Controller()
class EchoRpc {
  @OnRequest(Double)
  async double(request: unknown): Promise<RpcReplyOf<typeof Double>> {
    const n = (request as { n?: unknown }).n;
    if (typeof n !== 'number') return { ok: false, code: 'invalid_request', message: 'n must be a number' };
    return { ok: true, doubled: n * 2, by: 'nest' };
  }

  @OnRequest(Explode)
  async explode(): Promise<RpcReplyOf<typeof Explode>> {
    throw new Error('the handler exploded');
  }

  @OnRequest(Huge)
  async huge(): Promise<RpcReplyOf<typeof Huge>> {
    return { ok: true, padding: 'x'.repeat(maxPayload + 1) };
  }
}

@Module({ controllers: [EchoRpc] })
class EchoModule {}

describe('NatsRpcServer: @MessagePattern handlers over Nest’s NATS transport', () => {
  let nc: NatsConnection;
  let app: INestMicroservice;
  const ns = new BusNamespace(uniqueName('rpcnest'));

  beforeAll(async () => {
    ({ nc } = await connectTestNats());
    maxPayload = nc.info!.max_payload;
    app = await NestFactory.createMicroservice(EchoModule, { strategy: new NatsRpcServer({ nats: nc, namespace: ns, queue: 'echo' }), logger: false });
    await app.listen();
    await nc.flush();
  });
  afterAll(async () => {
    await app?.close();
    await nc?.drain();
  });

  it('answers the typed RpcClient, the plain function and a stock Nest ClientProxy alike', async () => {
    const client = new RpcClient(nc, ns);
    expect(await client.request(Double, { n: 21 })).toEqual({ ok: true, doubled: 42, by: 'nest' });
    expect(await rpcRequest(nc, ns, Double, { n: 2 })).toEqual({ ok: true, doubled: 4, by: 'nest' });
    expect(await client.request(Double, { n: 'x' } as never)).toEqual({ ok: false, code: 'invalid_request', message: 'n must be a number' });

    // Nest's own client, on its own connection, reaches the handler by the namespaced subject.
    const stock = new ClientNats({ servers: nc.getServer() });
    try {
      await expect(firstValueFrom(stock.send(ns.subject(Double.subject), { n: 5 }))).resolves.toEqual({ ok: true, doubled: 10, by: 'nest' });
    } finally {
      await stock.close();
    }
  });

  it('replies to what is not a request packet, a throwing handler and an oversize reply instead of keeping the caller waiting', async () => {
    const raw = await nc.request(ns.subject(Double.subject), JSON.stringify({ n: 1 }), { timeout: 2_000 });
    expect(raw.json()).toMatchObject({ response: { ok: false, code: 'invalid_request' } });
    const notJson = await nc.request(ns.subject(Double.subject), 'not json', { timeout: 2_000 });
    expect(notJson.json()).toMatchObject({ response: { ok: false, code: 'invalid_request', message: 'request body is not JSON' } });

    const client = new RpcClient(nc, ns);
    expect(await client.request(Explode, { n: 1 }, { timeoutMs: 2_000 })).toEqual({ ok: false, code: 'internal', message: 'the responder failed; see its logs' });
    expect(await client.request(Huge, { n: 1 }, { timeoutMs: 2_000 })).toMatchObject({ ok: false, code: 'reply_too_large' });
    // The responder lives on.
    expect(await client.request(Double, { n: 3 }, { timeoutMs: 2_000 })).toMatchObject({ ok: true, doubled: 6 });
  });

  it('shares requests with a stand-in responder in the same queue group, and fails fast without any', async () => {
    const standIn = serveRpc(nc, ns, Double, 'echo', async (req) => ({ ok: true, doubled: (req as { n: number }).n * 2, by: 'stand-in' }));
    await nc.flush();
    try {
      const client = new RpcClient(nc, ns);
      const replies = await Promise.all(Array.from({ length: 40 }, (_, n) => client.request(Double, { n })));
      expect(replies.map((r) => (r.ok ? r.doubled : null))).toEqual(Array.from({ length: 40 }, (_, n) => n * 2));
      expect(new Set(replies.map((r) => (r.ok ? r.by : null)))).toEqual(new Set(['nest', 'stand-in']));
    } finally {
      standIn.unsubscribe();
    }
    const started = Date.now();
    await expect(new RpcClient(nc, ns).request(Nobody, { n: 1 }, { timeoutMs: 10_000 })).rejects.toBeInstanceOf(RpcUnavailableError);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('stops answering once closed, and leaves the shared connection open', async () => {
    const other = new BusNamespace(uniqueName('rpcnest'));
    const second = await NestFactory.createMicroservice(EchoModule, { strategy: new NatsRpcServer({ nats: nc, namespace: other, queue: 'echo' }), logger: false });
    await second.listen();
    await nc.flush();
    expect(await rpcRequest(nc, other, Double, { n: 1 })).toMatchObject({ ok: true });
    await second.close();
    expect(nc.isClosed()).toBe(false);
    await expect(rpcRequest(nc, other, Double, { n: 1 }, { timeoutMs: 1_000 })).rejects.toBeInstanceOf(RpcUnavailableError);
  });
});
