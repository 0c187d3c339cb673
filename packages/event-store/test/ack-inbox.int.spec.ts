import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { JetStreamApiError, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connectTestNats, uniqueName } from '@stagehook/testing';
import { randomUUID } from 'node:crypto';
import { AckInbox } from '../src/ack-inbox.js';
import { readStreamMessages, testStream } from './helpers.js';

/** The relay's publisher against a real JetStream: its acks must mean what the client's do. */
describe('AckInbox', () => {
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const streams: string[] = [];

  beforeAll(async () => {
    ({ nc, jsm } = await connectTestNats('ack-inbox-test'));
  });

  afterAll(async () => {
    for (const s of streams) await jsm.streams.delete(s).catch(() => undefined);
    await nc.drain();
  });

  it('resolves with the stored sequence, flags a repeated message id as a duplicate, and stores pipelined publishes in order', async () => {
    const { ns, stream } = await testStream(jsm);
    streams.push(stream);
    const acks = new AckInbox(nc, 10_000);
    const ids = Array.from({ length: 50 }, () => randomUUID());
    const stored = await Promise.all(ids.map((id, i) => acks.publish(ns.subject('item.test.appended'), JSON.stringify({ id, i }), { msgID: id })));
    expect(stored.map((a) => [a.stream, a.seq, a.duplicate])).toEqual(ids.map((_, i) => [stream, i + 1, false]));
    const again = await acks.publish(ns.subject('item.test.appended'), JSON.stringify({ id: ids[3] }), { msgID: ids[3] });
    expect(again).toMatchObject({ seq: 4, duplicate: true });
    expect((await readStreamMessages(nc, stream)).map((m) => (m as unknown as { i: number }).i)).toEqual(ids.map((_, i) => i));
    acks.close();
  });

  it('refuses a publish whose expected last sequence does not hold with JetStream’s error code, and stores nothing', async () => {
    const { ns, stream } = await testStream(jsm);
    streams.push(stream);
    const acks = new AckInbox(nc, 10_000);
    await acks.publish(ns.subject('item.test.appended'), '{}', { msgID: randomUUID() });
    const refused = acks.publish(ns.subject('item.test.appended'), '{}', { msgID: randomUUID(), expect: { lastSequence: 7 } });
    await expect(refused).rejects.toBeInstanceOf(JetStreamApiError);
    await expect(refused).rejects.toMatchObject({ code: 10071 });
    expect((await jsm.streams.info(stream)).state.messages).toBe(1);
    acks.close();
  });

  it('rejects a publish no stream takes instead of waiting for its timeout', async () => {
    const acks = new AckInbox(nc, 60_000);
    await expect(acks.publish(`${uniqueName('nostream')}.item.test.appended`, '{}', { msgID: randomUUID() })).rejects.toThrow(/no responders/);
    acks.close();
  });
});
