import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NatsConnection } from '@nats-io/nats-core';
import { BusNamespace, rpcSpec } from '@stagehook/contracts';
import { connectTestNats, uniqueName } from '@stagehook/testing';
import { RpcUnavailableError, rpcRequest, serveRpc } from '../src/index.js';

const Echo = rpcSpec<{ n: number }, { doubled: number }>('rpc.test.echo');

describe('rpc over core NATS', () => {
  let nc: NatsConnection;
  const ns = new BusNamespace(uniqueName('rpc'));

  beforeAll(async () => {
    ({ nc } = await connectTestNats());
  });
  afterAll(async () => {
    await nc.drain();
  });

  it('answers a request through a queue group shared by two responders', async () => {
    const served: string[] = [];
    const subs = ['a', 'b'].map((who) =>
      serveRpc(nc, ns, Echo, 'echo', async (req) => {
        served.push(who);
        const n = (req as { n?: unknown }).n;
        if (typeof n !== 'number') return { ok: false, code: 'invalid_request', message: 'n must be a number' };
        return { ok: true, doubled: n * 2 };
      }),
    );
    await nc.flush();
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => rpcRequest(nc, ns, Echo, { n: i })));
    expect(replies.map((r) => (r.ok ? r.doubled : null))).toEqual(Array.from({ length: 20 }, (_, i) => i * 2));
    expect(served).toHaveLength(20);

    const bad = await rpcRequest(nc, ns, Echo, { n: 'x' } as unknown as { n: number });
    expect(bad).toEqual({ ok: false, code: 'invalid_request', message: 'n must be a number' });
    subs.forEach((s) => s.unsubscribe());
  });

  it('turns a throwing handler into an error reply instead of a timeout', async () => {
    const sub = serveRpc(nc, ns, Echo, 'echo', () => Promise.reject(new Error('boom')));
    await nc.flush();
    await expect(rpcRequest(nc, ns, Echo, { n: 1 }, { timeoutMs: 2000 })).resolves.toEqual({ ok: false, code: 'internal', message: 'the responder failed; see its logs' });
    sub.unsubscribe();
  });

  it('answers a reply larger than the server takes with reply_too_large, and the process lives on', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (err: unknown) => unhandled.push(err);
    process.on('unhandledRejection', onUnhandled);
    const big = 'x'.repeat(nc.info!.max_payload + 1);
    const sub = serveRpc(nc, ns, Echo, 'echo', async () => ({ ok: true, doubled: 0, padding: big }));
    await nc.flush();
    try {
      const reply = await rpcRequest(nc, ns, Echo, { n: 1 }, { timeoutMs: 2000 });
      expect(reply).toMatchObject({ ok: false, code: 'reply_too_large' });
      // The responder still answers the next request.
      sub.unsubscribe();
      const ok = serveRpc(nc, ns, Echo, 'echo', async () => ({ ok: true, doubled: 4 }));
      await nc.flush();
      await expect(rpcRequest(nc, ns, Echo, { n: 2 }, { timeoutMs: 2000 })).resolves.toEqual({ ok: true, doubled: 4 });
      ok.unsubscribe();
      await new Promise((r) => setImmediate(r));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('reports a missing responder as RpcUnavailableError', async () => {
    await expect(rpcRequest(nc, ns, Echo, { n: 1 }, { timeoutMs: 300 })).rejects.toBeInstanceOf(RpcUnavailableError);
  });
});
